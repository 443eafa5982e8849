//! CSS selectors for the element a visualizer user points at, built from a plain description
//! of its ancestry, so that the choices are tested on the host and the browser shell only reads
//! the DOM and counts matches.
//!
//! A click rule outlives the page it was made on: the site is redeployed, CSS-in-JS hashes
//! change, lists grow. So the selector is built from the most stable facts first — a unique
//! id, then `data-*` attributes (test ids first), then stable class names — and only then from
//! positions (`:nth-of-type`). Within that order the fewest compounds win.
//!
//! Matching needs the page, so the caller passes a counter (`document.querySelectorAll(sel)
//! .length` in the browser, a fake DOM in the tests). Every candidate is built only from facts
//! of the element and its own ancestors, so it always matches the element: a count of 1 means
//! "exactly this element". The same argument gives "all similar" (see [`similar_selector`]).
//! The counter is asked at most [`MAX_CHECKS`] times per selector; past that, the full
//! positional path from `body` is returned, which is unique by construction.

use super::payload::push_int;
use alloc::string::String;
use alloc::vec::Vec;

/// Most counter calls one selector may cost; hovering asks for a selector on every move.
pub const MAX_CHECKS: usize = 400;
/// How many ancestors [`clickable_target`] climbs from the element under the pointer.
pub const MAX_CLIMB: usize = 5;
/// Stable classes of one element considered (utility-class soups have dozens).
const MAX_CLASSES: usize = 3;
/// Best compounds of each ancestor considered as anchors.
const MAX_ANCHORS: usize = 3;
/// Longest `data-*` value used in a selector: longer ones are content, not names.
const MAX_DATA_VALUE: usize = 64;

// Costs of compounds: lower is more stable.
const ID: u8 = 0;
const TEST_DATA: u8 = 1;
const DATA: u8 = 2;
const CLASS: u8 = 3;
const QUALIFIED: u8 = 4;
const TAG: u8 = 5;

/// What the selector generator knows about one element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ElementInfo {
    /// `localName`: lowercase for HTML elements, as written for SVG ones (`foreignObject`).
    pub tag: String,
    /// The `id` attribute, when present.
    pub id: Option<String>,
    /// The class list, in order.
    pub classes: Vec<String>,
    /// The `data-*` attributes in document order: name without `data-`, and value.
    pub data_attrs: Vec<(String, String)>,
    /// The `role` attribute, when present.
    pub role: Option<String>,
    /// 1-based position among the parent's children with the same tag (`:nth-of-type`).
    pub index_of_type: usize,
    /// How many of the parent's children have this tag, this element included.
    pub siblings_of_type: usize,
}

/// The shortest stable selector that matches exactly the chosen element.
///
/// `ancestry` runs from the element (index 0) up to the child of `body`, excluding `body` and
/// `html`; `count(selector)` answers how many elements of the page match. Order of search:
/// 1. one compound of the element: unique `#id`, `[data-x="v"]`, `.class`, `tag.class`,
///    `.a.b`, then the bare tag;
/// 2. an ancestor's stable compound before it (`#nav .item`, `.menu > a`), cheapest first;
/// 3. positional paths `tr:nth-of-type(2) > td:nth-of-type(3)`, growing upward, each also
///    tried under each ancestor's best stable compound;
/// 4. the full positional path from `body`.
///
/// Ids that look generated, and ids the page uses more than once, are never used.
/// `None` only for an empty ancestry.
pub fn unique_selector(
    ancestry: &[ElementInfo],
    count: &mut dyn FnMut(&str) -> usize,
) -> Option<String> {
    unique_in(
        ancestry,
        &mut Probe {
            count,
            left: MAX_CHECKS,
        },
    )
}

/// The shortest selector matching the chosen element and all elements similar to it.
///
/// **Similar** means: in the nearest repeated block — the element itself or its nearest
/// ancestor that has siblings of the same tag (a `li`, a `tr`, a card) — every sibling block
/// with the same tag and stable classes, and inside each, the element at the same place with
/// the same tag and stable classes (and, for classless elements inside the block, the same
/// `:nth-of-type`). A block level whose group would be the element alone is skipped for the
/// next one up; with no repetition at all, this is [`unique_selector`].
///
/// The group is first written in full (`<unique container> > li.item > a`); every shorter
/// candidate only drops constraints from it or adds facts of shared ancestors, so it matches a
/// superset of the group, and an equal count proves the same set. `None` only for an empty
/// ancestry.
pub fn similar_selector(
    ancestry: &[ElementInfo],
    count: &mut dyn FnMut(&str) -> usize,
) -> Option<String> {
    let probe = &mut Probe {
        count,
        left: MAX_CHECKS,
    };
    for (r, block) in ancestry.iter().enumerate() {
        if block.siblings_of_type < 2 {
            continue;
        }
        let container = match ancestry.get(r + 1..) {
            Some(above) if !above.is_empty() => unique_in(above, probe)?,
            _ => String::from("body"),
        };
        let mut levels = Vec::with_capacity(ancestry.len());
        for (j, e) in ancestry.iter().enumerate() {
            levels.push(if j <= r {
                member_level(e, j < r)
            } else {
                ancestor_level(e, probe)
            });
        }
        let group = join(&container, true, &chain(levels.get(..=r).unwrap_or(&[])));
        let n = (probe.count)(&group);
        if n < 2 {
            continue;
        }
        return Some(search(&levels, n, probe).unwrap_or(group));
    }
    unique_in(ancestry, probe)
}

/// Which element of `ancestry` a click on `ancestry[0]` really means: the nearest control
/// (`a`, `button`, `input`, `select`, `textarea`, `summary`, `label`, or an element with a
/// button-like `role`) at most [`MAX_CLIMB`] levels up, so an icon's `path`, `svg` or `span`
/// inside a button maps to the button. Index 0 when there is none that close.
pub fn clickable_target(ancestry: &[ElementInfo]) -> usize {
    ancestry
        .iter()
        .take(MAX_CLIMB + 1)
        .position(is_control)
        .unwrap_or(0)
}

fn is_control(e: &ElementInfo) -> bool {
    matches!(
        e.tag.as_str(),
        "a" | "button" | "input" | "select" | "textarea" | "summary" | "label"
    ) || matches!(
        e.role.as_deref(),
        Some("button" | "link" | "menuitem" | "tab" | "checkbox" | "radio" | "switch" | "option")
    )
}

/// Whether a class name, id or `data-*` name or value looks machine-made, and so likely to
/// change on the next build or page load. The heuristic:
/// * empty, or prefixed by a CSS-in-JS or framework scheme: `css-` (Emotion), `sc-`
///   (styled-components), `jsx-` (styled-jsx), `svelte-`, `ng-` (Angular state classes);
/// * a `-`/`_`-separated segment of 5 or more characters with a digit that either switches
///   between digits and letters twice (`3xYz9` of `Button_primary__3xYz9`, `1a2b3c`) or mixes
///   upper and lower case; `col12`, `h1`, `item-2` stay stable;
/// * a segment starting with `:` or `«` (React's `useId`: `:r1:`, `«r1»`);
/// * a whole name of 5–8 letters whose case flips 3 times after the first letter
///   (styled-components' `kDjEqk`, `bdVaJa`); `NavBar`, `isOpen` stay stable.
pub fn looks_generated(name: &str) -> bool {
    let b = name.as_bytes();
    if b.is_empty()
        || [&b"css-"[..], b"sc-", b"jsx-", b"svelte-", b"ng-"]
            .iter()
            .any(|p| b.starts_with(p))
    {
        return true;
    }
    if (5..=8).contains(&b.len()) && b.iter().all(u8::is_ascii_alphabetic) {
        let flips = b
            .windows(2)
            .skip(1)
            .filter(|w| {
                w.first().map(u8::is_ascii_uppercase) != w.get(1).map(u8::is_ascii_uppercase)
            })
            .count();
        if flips >= 3 {
            return true;
        }
    }
    b.split(|&c| c == b'-' || c == b'_').any(random_segment)
}

fn random_segment(s: &[u8]) -> bool {
    if s.first() == Some(&b':') || s.starts_with("«".as_bytes()) {
        return true;
    }
    if s.len() < 5 || !s.iter().any(u8::is_ascii_digit) {
        return false;
    }
    let switches = s
        .windows(2)
        .filter(|w| w.first().map(u8::is_ascii_digit) != w.get(1).map(u8::is_ascii_digit))
        .count();
    switches >= 2 || (s.iter().any(u8::is_ascii_uppercase) && s.iter().any(u8::is_ascii_lowercase))
}

/// State the page toggles while the user hovers or navigates: never part of a rule.
fn is_state_class(class: &str) -> bool {
    let bare = class.strip_prefix("is-").unwrap_or(class);
    matches!(
        bare,
        "active"
            | "hover"
            | "hovered"
            | "focus"
            | "focused"
            | "selected"
            | "open"
            | "show"
            | "current"
    )
}

fn stable_classes(e: &ElementInfo) -> impl Iterator<Item = &String> {
    e.classes
        .iter()
        .filter(|c| !looks_generated(c) && !is_state_class(c))
        .take(MAX_CLASSES)
}

fn stable_data(name: &str, value: &str) -> bool {
    const VOLATILE: [&str; 12] = [
        "state",
        "focus",
        "hover",
        "active",
        "selected",
        "highlighted",
        "open",
        "expanded",
        "checked",
        "headlessui",
        "react",
        "v-",
    ];
    !looks_generated(name)
        && !VOLATILE
            .iter()
            .any(|v| name.as_bytes().starts_with(v.as_bytes()))
        && value.len() <= MAX_DATA_VALUE
        && (value.is_empty() || !looks_generated(value))
}

/// Names meant for tests and analytics come first: they exist to be selected.
fn preferred_data(name: &str) -> bool {
    ["test", "cy", "qa", "track", "analytics", "e2e"]
        .iter()
        .any(|p| name.as_bytes().starts_with(p.as_bytes()))
}

/// Appends `ident` as a CSS identifier, escaped like `CSS.escape`.
pub fn push_ident(out: &mut String, ident: &str) {
    if ident == "-" {
        out.push_str("\\-");
        return;
    }
    let leading_dash = ident.starts_with('-');
    for (i, c) in ident.chars().enumerate() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '\u{1}'..='\u{1f}' | '\u{7f}' => push_hex(out, c),
            '0'..='9' if i == 0 || (i == 1 && leading_dash) => push_hex(out, c),
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '\u{80}'..=char::MAX => out.push(c),
            _ => {
                out.push('\\');
                out.push(c);
            }
        }
    }
}

/// Appends `value` as a double-quoted CSS string.
pub fn push_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '\u{1}'..='\u{1f}' | '\u{7f}' => push_hex(out, c),
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_hex(out: &mut String, c: char) {
    out.push('\\');
    let v = c as u32;
    let mut started = false;
    for shift in (0..8).rev() {
        let digit = (v >> (shift * 4)) & 0xf;
        if digit != 0 || started || shift == 0 {
            started = true;
            out.push(char::from_digit(digit, 16).unwrap_or('0'));
        }
    }
    out.push(' ');
}

/// The counter with its budget.
struct Probe<'a> {
    count: &'a mut dyn FnMut(&str) -> usize,
    left: usize,
}

impl Probe<'_> {
    fn hits(&mut self, selector: &str, n: usize) -> bool {
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        (self.count)(selector) == n
    }
}

/// A compound selector and how much it is trusted to survive a redeploy.
struct Part {
    sel: String,
    cost: u8,
}

/// One element of the ancestry as the search sees it.
struct Level {
    /// Compounds true of this element, most stable first.
    parts: Vec<Part>,
    /// The compound the positional tier uses (`li:nth-of-type(3)`).
    pos: String,
    /// Length of `pos` without its `:nth-of-type(n)`.
    bare: usize,
}

fn unique_in(ancestry: &[ElementInfo], probe: &mut Probe) -> Option<String> {
    let first = ancestry.first()?;
    let mut target = anchors(first, probe);
    target.push(Part {
        sel: ident(&first.tag),
        cost: TAG,
    });
    let mut levels = Vec::with_capacity(ancestry.len());
    levels.push(positional(first, target));
    for e in ancestry.iter().skip(1) {
        levels.push(ancestor_level(e, probe));
    }
    Some(search(&levels, 1, probe).unwrap_or_else(|| join("body", true, &chain(&levels))))
}

fn ancestor_level(e: &ElementInfo, probe: &mut Probe) -> Level {
    let mut parts = anchors(e, probe);
    parts.truncate(MAX_ANCHORS);
    positional(e, parts)
}

/// A level inside a repeated block: only loosenings of its signature, which every member
/// of the group shares.
fn member_level(e: &ElementInfo, inside_block: bool) -> Level {
    let mut parts = Vec::new();
    let signature = class_parts(e, &mut parts);
    parts.push(Part {
        sel: ident(&e.tag),
        cost: TAG,
    });
    sort(&mut parts);
    let mut pos = signature;
    let bare = pos.len();
    if inside_block && !stable_classes(e).any(|_| true) && e.siblings_of_type > 1 {
        push_nth(&mut pos, e.index_of_type);
    }
    Level { parts, pos, bare }
}

/// Stable compounds of one element: unique id, data attributes, classes.
fn anchors(e: &ElementInfo, probe: &mut Probe) -> Vec<Part> {
    let mut parts = Vec::new();
    if let Some(id) = e.id.as_deref().filter(|id| !looks_generated(id)) {
        let mut sel = String::from("#");
        push_ident(&mut sel, id);
        // A duplicated id is a template's, not a name: it is not trusted at all.
        if probe.hits(&sel, 1) {
            parts.push(Part { sel, cost: ID });
        }
    }
    for (name, value) in e
        .data_attrs
        .iter()
        .filter(|(n, v)| stable_data(n, v))
        .take(MAX_ANCHORS)
    {
        let mut sel = String::from("[");
        push_ident(&mut sel, "data-");
        push_ident(&mut sel, name);
        if !value.is_empty() {
            sel.push('=');
            push_string(&mut sel, value);
        }
        sel.push(']');
        parts.push(Part {
            sel,
            cost: if preferred_data(name) {
                TEST_DATA
            } else {
                DATA
            },
        });
    }
    class_parts(e, &mut parts);
    sort(&mut parts);
    parts
}

/// Pushes `.c`, `tag.c` and `.a.b` for the stable classes; returns the signature `tag.a.b`.
fn class_parts(e: &ElementInfo, parts: &mut Vec<Part>) -> String {
    let tag = ident(&e.tag);
    let mut all = String::new();
    let mut n = 0;
    for class in stable_classes(e) {
        let mut one = String::from(".");
        push_ident(&mut one, class);
        all.push_str(&one);
        parts.push(Part {
            sel: [tag.as_str(), one.as_str()].concat(),
            cost: QUALIFIED,
        });
        parts.push(Part {
            sel: one,
            cost: CLASS,
        });
        n += 1;
    }
    if n > 1 {
        parts.push(Part {
            sel: all.clone(),
            cost: QUALIFIED,
        });
    }
    tag + &all
}

fn sort(parts: &mut [Part]) {
    parts.sort_by_key(|p| (p.cost, p.sel.len()));
}

fn ident(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_ident(&mut out, s);
    out
}

fn push_nth(out: &mut String, index: usize) {
    out.push_str(":nth-of-type(");
    push_int(out, index as i64);
    out.push(')');
}

fn positional(e: &ElementInfo, parts: Vec<Part>) -> Level {
    let mut pos = ident(&e.tag);
    let bare = pos.len();
    if e.siblings_of_type > 1 {
        push_nth(&mut pos, e.index_of_type);
    }
    Level { parts, pos, bare }
}

/// `outer inner`, or `outer > inner` when `outer` is `inner`'s parent.
fn join(outer: &str, parent: bool, inner: &str) -> String {
    [outer, if parent { " > " } else { " " }, inner].concat()
}

/// The positional compounds of `levels`, parent to child.
fn chain(levels: &[Level]) -> String {
    let mut out = String::new();
    for level in levels.iter().rev() {
        if !out.is_empty() {
            out.push_str(" > ");
        }
        out.push_str(&level.pos);
    }
    out
}

/// The first candidate, in the order [`unique_selector`] documents, that matches `n` elements.
fn search(levels: &[Level], n: usize, probe: &mut Probe) -> Option<String> {
    let target = levels.first()?;
    for part in &target.parts {
        if probe.hits(&part.sel, n) {
            return Some(part.sel.clone());
        }
    }
    let mut pairs = Vec::new();
    for (i, level) in levels.iter().enumerate().skip(1) {
        for a in &level.parts {
            for t in &target.parts {
                pairs.push((a.cost + t.cost, i, join(&a.sel, i == 1, &t.sel)));
            }
        }
    }
    pairs.sort_by_key(|(cost, i, sel)| (*cost, *i, sel.len()));
    for (_, _, sel) in pairs {
        if probe.hits(&sel, n) {
            return Some(sel);
        }
    }
    let mut path = String::new();
    for (i, level) in levels.iter().enumerate() {
        // The newest level's position is tried without `:nth-of-type` first: `section > a`.
        let bare = level.pos.get(..level.bare).unwrap_or("");
        if bare.len() < level.pos.len() {
            let loose = if i == 0 {
                bare.into()
            } else {
                join(bare, true, &path)
            };
            if probe.hits(&loose, n) {
                return Some(loose);
            }
        }
        path = if i == 0 {
            level.pos.clone()
        } else {
            join(&level.pos, true, &path)
        };
        if probe.hits(&path, n) {
            return Some(path);
        }
        for (j, above) in levels.iter().enumerate().skip(i + 1) {
            if let Some(anchor) = above.parts.first() {
                let sel = join(&anchor.sel, j == i + 1, &path);
                if probe.hits(&sel, n) {
                    return Some(sel);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A page for the tests: parsed from a tag soup, queried with the selector syntax the
    /// generator writes (compounds of tag, `#id`, `.class`, `[attr]`, `[attr="v"]`,
    /// `:nth-of-type(n)`, CSS escapes; descendant and child combinators).
    struct Dom {
        nodes: Vec<Node>,
    }

    struct Node {
        tag: String,
        attrs: Vec<(String, String)>,
        parent: Option<usize>,
        children: Vec<usize>,
    }

    const VOID: [&str; 7] = ["img", "input", "br", "path", "use", "circle", "rect"];

    impl Dom {
        /// The body's content; `html` is node 0 and `body` node 1. Text is ignored; attribute
        /// values are quoted with `"` or `'`; the element to choose carries `pick`.
        fn parse(html: &str) -> Dom {
            let mut dom = Dom { nodes: vec![] };
            dom.add("html", vec![], None);
            dom.add("body", vec![], Some(0));
            let mut stack = vec![1];
            let b: Vec<char> = html.chars().collect();
            let mut i = 0;
            while i < b.len() {
                if b[i] != '<' {
                    i += 1;
                    continue;
                }
                i += 1;
                if b[i] == '/' {
                    while b[i] != '>' {
                        i += 1;
                    }
                    i += 1;
                    stack.pop();
                    continue;
                }
                let word = |i: &mut usize| {
                    let start = *i;
                    while !matches!(b[*i], ' ' | '>' | '/' | '=') {
                        *i += 1;
                    }
                    b[start..*i].iter().collect::<String>()
                };
                let tag = word(&mut i);
                let mut attrs = vec![];
                let mut closed = false;
                loop {
                    match b[i] {
                        ' ' => i += 1,
                        '>' => {
                            i += 1;
                            break;
                        }
                        '/' => {
                            closed = true;
                            i += 1;
                        }
                        _ => {
                            let name = word(&mut i);
                            let mut value = String::new();
                            if b[i] == '=' {
                                let quote = b[i + 1];
                                i += 2;
                                while b[i] != quote {
                                    value.push(b[i]);
                                    i += 1;
                                }
                                i += 1;
                            }
                            attrs.push((name, value));
                        }
                    }
                }
                let id = dom.add(&tag, attrs, stack.last().copied());
                if !closed && !VOID.contains(&tag.as_str()) {
                    stack.push(id);
                }
            }
            dom
        }

        fn add(&mut self, tag: &str, attrs: Vec<(String, String)>, parent: Option<usize>) -> usize {
            let id = self.nodes.len();
            self.nodes.push(Node {
                tag: tag.into(),
                attrs,
                parent,
                children: vec![],
            });
            if let Some(p) = parent {
                self.nodes[p].children.push(id);
            }
            id
        }

        fn attr(&self, node: usize, name: &str) -> Option<&str> {
            self.nodes[node]
                .attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }

        fn picked(&self) -> usize {
            (0..self.nodes.len())
                .find(|&n| self.attr(n, "pick").is_some())
                .expect("a pick attribute")
        }

        /// (1-based index among same-tag siblings, how many there are)
        fn of_type(&self, node: usize) -> (usize, usize) {
            let Some(parent) = self.nodes[node].parent else {
                return (1, 1);
            };
            let same: Vec<usize> = self.nodes[parent]
                .children
                .iter()
                .copied()
                .filter(|&c| self.nodes[c].tag == self.nodes[node].tag)
                .collect();
            (
                same.iter().position(|&c| c == node).unwrap() + 1,
                same.len(),
            )
        }

        fn info(&self, node: usize) -> ElementInfo {
            let (index_of_type, siblings_of_type) = self.of_type(node);
            ElementInfo {
                tag: self.nodes[node].tag.clone(),
                id: self.attr(node, "id").map(Into::into),
                classes: self
                    .attr(node, "class")
                    .unwrap_or("")
                    .split_whitespace()
                    .map(Into::into)
                    .collect(),
                data_attrs: self.nodes[node]
                    .attrs
                    .iter()
                    .filter_map(|(n, v)| Some((n.strip_prefix("data-")?.into(), v.clone())))
                    .collect(),
                role: self.attr(node, "role").map(Into::into),
                index_of_type,
                siblings_of_type,
            }
        }

        fn ancestry(&self, mut node: usize) -> Vec<ElementInfo> {
            let mut out = vec![];
            while node > 1 {
                out.push(self.info(node));
                node = self.nodes[node].parent.unwrap();
            }
            out
        }

        fn select(&self, selector: &str) -> Vec<usize> {
            let steps = parse_selector(selector);
            (0..self.nodes.len())
                .filter(|&n| self.matches(n, &steps))
                .collect()
        }

        fn matches(&self, node: usize, steps: &[(bool, Compound)]) -> bool {
            let Some(((child, last), rest)) = steps.split_last() else {
                return true;
            };
            if !self.matches_compound(node, last) {
                return false;
            }
            if rest.is_empty() {
                return true;
            }
            let mut up = self.nodes[node].parent;
            while let Some(p) = up {
                if self.matches(p, rest) {
                    return true;
                }
                if *child {
                    return false;
                }
                up = self.nodes[p].parent;
            }
            false
        }

        fn matches_compound(&self, node: usize, c: &Compound) -> bool {
            let classes: Vec<&str> = self
                .attr(node, "class")
                .unwrap_or("")
                .split_whitespace()
                .collect();
            c.tag.as_ref().is_none_or(|t| *t == self.nodes[node].tag)
                && c.id
                    .as_ref()
                    .is_none_or(|id| self.attr(node, "id") == Some(id))
                && c.classes.iter().all(|k| classes.contains(&k.as_str()))
                && c.attrs.iter().all(|(n, v)| match (self.attr(node, n), v) {
                    (Some(_), None) => true,
                    (Some(have), Some(want)) => have == want,
                    (None, _) => false,
                })
                && c.nth.is_none_or(|n| self.of_type(node).0 == n)
        }
    }

    #[derive(Default, Debug)]
    struct Compound {
        tag: Option<String>,
        id: Option<String>,
        classes: Vec<String>,
        attrs: Vec<(String, Option<String>)>,
        nth: Option<usize>,
    }

    /// (whether the combinator before it is `>`, compound), left to right.
    fn parse_selector(s: &str) -> Vec<(bool, Compound)> {
        let b: Vec<char> = s.chars().collect();
        let mut i = 0;
        let mut steps = vec![];
        let mut child = false;
        while i < b.len() {
            match b[i] {
                ' ' => i += 1,
                '>' => {
                    child = true;
                    i += 1;
                }
                _ => {
                    let mut c = Compound::default();
                    while i < b.len() && b[i] != ' ' {
                        match b[i] {
                            '#' => {
                                i += 1;
                                c.id = Some(read_ident(&b, &mut i));
                            }
                            '.' => {
                                i += 1;
                                c.classes.push(read_ident(&b, &mut i));
                            }
                            '[' => {
                                i += 1;
                                let name = read_ident(&b, &mut i);
                                let value = (b[i] == '=').then(|| {
                                    i += 1;
                                    read_string(&b, &mut i)
                                });
                                assert_eq!(b[i], ']', "in {s}");
                                i += 1;
                                c.attrs.push((name, value));
                            }
                            ':' => {
                                let rest: String = b[i..].iter().collect();
                                let rest = rest.strip_prefix(":nth-of-type(").expect(s);
                                let close = rest.find(')').unwrap();
                                c.nth = Some(rest[..close].parse().unwrap());
                                i += ":nth-of-type(".len() + close + 1;
                            }
                            _ => c.tag = Some(read_ident(&b, &mut i)),
                        }
                    }
                    steps.push((child, c));
                    child = false;
                }
            }
        }
        steps
    }

    fn read_escape(b: &[char], i: &mut usize) -> char {
        *i += 1;
        let start = *i;
        while *i < b.len() && *i - start < 6 && b[*i].is_ascii_hexdigit() {
            *i += 1;
        }
        if *i == start {
            *i += 1;
            return b[start];
        }
        let hex: String = b[start..*i].iter().collect();
        if b.get(*i) == Some(&' ') {
            *i += 1;
        }
        char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap()
    }

    fn read_ident(b: &[char], i: &mut usize) -> String {
        let mut out = String::new();
        while *i < b.len() {
            match b[*i] {
                '\\' => out.push(read_escape(b, i)),
                c if c.is_alphanumeric() || c == '-' || c == '_' || !c.is_ascii() => {
                    out.push(c);
                    *i += 1;
                }
                _ => break,
            }
        }
        out
    }

    fn read_string(b: &[char], i: &mut usize) -> String {
        assert_eq!(b[*i], '"');
        *i += 1;
        let mut out = String::new();
        while b[*i] != '"' {
            if b[*i] == '\\' {
                out.push(read_escape(b, i));
            } else {
                out.push(b[*i]);
                *i += 1;
            }
        }
        *i += 1;
        out
    }

    /// The unique selector of the picked element, checked to select exactly it.
    fn unique(html: &str) -> String {
        let dom = Dom::parse(html);
        let target = dom.picked();
        unique_of(&dom, target)
    }

    fn unique_of(dom: &Dom, target: usize) -> String {
        let selector = unique_selector(&dom.ancestry(target), &mut |s| dom.select(s).len())
            .expect("an element");
        assert_eq!(dom.select(&selector), vec![target], "{selector}");
        selector
    }

    /// The "all similar" selector of the picked element and how many it selects.
    fn similar(html: &str) -> (String, usize) {
        let dom = Dom::parse(html);
        let target = dom.picked();
        let selector = similar_selector(&dom.ancestry(target), &mut |s| dom.select(s).len())
            .expect("an element");
        let hits = dom.select(&selector);
        assert!(hits.contains(&target), "{selector}");
        (selector, hits.len())
    }

    #[test]
    fn a_unique_id_wins() {
        assert_eq!(
            unique(
                r#"<main><button id="buy" class="cta" data-testid="b" pick>Buy</button><button>No</button></main>"#
            ),
            "#buy"
        );
    }

    #[test]
    fn a_duplicated_id_is_not_trusted() {
        let page = r#"<div><button id="buy">A</button></div><section><button id="buy" pick>B</button></section>"#;
        assert_eq!(unique(page), "section > button");
        let page = r#"<div><a id="more" class="more">A</a></div><div><a id="more" class="more" data-track="more-2" pick>B</a></div>"#;
        assert_eq!(unique(page), r#"[data-track="more-2"]"#);
    }

    #[test]
    fn a_generated_id_is_not_used() {
        assert_eq!(
            unique(r#"<form><input id=":r1:" pick><input id=":r2:"></form>"#),
            "input:nth-of-type(1)"
        );
    }

    #[test]
    fn data_attributes_before_classes_test_ids_first_states_never() {
        let page = r#"<div class="card"><button class="btn" data-testid="add-to-cart" pick>Add</button><button class="btn">More</button></div>"#;
        assert_eq!(unique(page), r#"[data-testid="add-to-cart"]"#);
        let page = r#"<div><button data-state="open" data-id="7" data-track="hero-cta" pick>Go</button><button data-state="open">X</button></div>"#;
        assert_eq!(unique(page), r#"[data-track="hero-cta"]"#);
        assert_eq!(
            unique(
                r#"<p><span data-v-7ba5bd90 data-open pick>a</span><span data-v-7ba5bd90>b</span></p>"#
            ),
            "span:nth-of-type(1)"
        );
    }

    #[test]
    fn generated_class_names_are_skipped() {
        let page = r#"<div class="Header_wrap__1xYz2"><a class="Button_primary__3xYz9 css-1a2b3c sc-AxjAm kDjEqk signup" pick>Sign up</a><a class="Button_primary__3xYz9 css-9z8y7x">Log in</a></div>"#;
        assert_eq!(unique(page), ".signup");
        let page = r#"<nav><a class="css-1q2w3e jsx-123456">Home</a><a class="css-9z8y7x jsx-123456" pick>Pricing</a></nav>"#;
        assert_eq!(unique(page), "a:nth-of-type(2)");
    }

    #[test]
    fn state_classes_are_skipped() {
        let page = r#"<nav><a class="nav-link">Home</a><a class="nav-link is-active current" pick>Pricing</a></nav>"#;
        assert_eq!(unique(page), "a:nth-of-type(2)");
    }

    #[test]
    fn a_class_is_qualified_or_combined_when_alone_it_is_not_enough() {
        let page = r#"<div class="btn primary">x</div><a class="btn">y</a><a class="btn primary" pick>z</a>"#;
        assert_eq!(unique(page), "a.primary");
        let page =
            r#"<a class="btn">y</a><a class="primary">y</a><a class="btn primary" pick>z</a>"#;
        assert_eq!(unique(page), ".btn.primary");
    }

    #[test]
    fn a_unique_tag_is_enough() {
        assert_eq!(
            unique(r#"<header><h1 pick>Welcome</h1></header><p>text</p>"#),
            "h1"
        );
    }

    #[test]
    fn list_items_fall_back_to_positions() {
        let page = r#"<ul><li>a</li><li>b</li><li pick>c</li></ul><ol><li>1</li><li>2</li><li>3</li></ol>"#;
        assert_eq!(unique(page), "ul > li:nth-of-type(3)");
        let page =
            r#"<ul class="menu"><li>a</li><li pick>b</li></ul><ul><li>c</li><li>d</li></ul>"#;
        assert_eq!(unique(page), ".menu > li:nth-of-type(2)");
    }

    #[test]
    fn table_cells_use_row_and_column() {
        let row = "<tr><td>1</td><td>2</td><td>3</td></tr>";
        let page = format!(
            r#"<table><tbody>{row}<tr><td>4</td><td>5</td><td pick>6</td></tr></tbody></table>"#
        );
        assert_eq!(unique(&page), "tr:nth-of-type(2) > td:nth-of-type(3)");
        let page = format!(
            r#"<table><tbody>{row}{row}</tbody></table><table id="prices"><tbody>{row}<tr><td>4</td><td>5</td><td pick>6</td></tr></tbody></table>"#
        );
        assert_eq!(
            unique(&page),
            "#prices tr:nth-of-type(2) > td:nth-of-type(3)"
        );
    }

    #[test]
    fn an_ancestor_anchors_the_element() {
        let page = r#"<nav id="main"><a href="/">Home</a></nav><footer><a pick>Home</a><p><a>x</a></p></footer><a>y</a>"#;
        assert_eq!(unique(page), "footer > a");
        let page = r#"<nav class="main"><ul><li><a class="nav-link">Home</a></li><li><a class="nav-link" pick>Pricing</a></li></ul></nav><footer><ul><li><a class="nav-link">Pricing</a></li><li><a class="nav-link">Blog</a></li></ul></footer>"#;
        assert_eq!(unique(page), ".main li:nth-of-type(2) > a");
    }

    #[test]
    fn an_icon_click_maps_to_its_button() {
        let page = r#"<header><button class="icon" data-action="close"><svg><path d="M0" pick/></svg></button><button class="icon" data-action="menu"><svg><use/></svg></button></header>"#;
        let dom = Dom::parse(page);
        let ancestry = dom.ancestry(dom.picked());
        assert_eq!(clickable_target(&ancestry), 2);
        let button = dom.nodes[dom.picked()]
            .parent
            .and_then(|svg| dom.nodes[svg].parent)
            .unwrap();
        assert_eq!(unique_of(&dom, button), r#"[data-action="close"]"#);
    }

    #[test]
    fn nested_clickables_map_to_the_nearest_control() {
        let page = r#"<div role="button" class="card"><h3>Plan</h3><a class="more"><span><strong><img pick></strong></span></a></div>"#;
        let dom = Dom::parse(page);
        let ancestry = dom.ancestry(dom.picked());
        assert_eq!(clickable_target(&ancestry), 3, "the link, not the card");
        assert_eq!(clickable_target(&ancestry[4..]), 0, "the card itself");
        let page = r#"<div role="button"><div><div><div><div><div><span pick>far</span></div></div></div></div></div></div>"#;
        let dom = Dom::parse(page);
        assert_eq!(
            clickable_target(&dom.ancestry(dom.picked())),
            0,
            "too far to be meant"
        );
        let dom = Dom::parse(r#"<label><input type="checkbox" pick> Subscribe</label>"#);
        assert_eq!(
            clickable_target(&dom.ancestry(dom.picked())),
            0,
            "a field is its own target"
        );
    }

    #[test]
    fn identifiers_and_values_are_escaped() {
        assert_eq!(
            unique(r#"<div id="1st-item" pick></div><div></div>"#),
            r"#\31 st-item"
        );
        assert_eq!(
            unique(r#"<div class="md:flex" pick></div><div class="w-1/2"></div>"#),
            r".md\:flex"
        );
        assert_eq!(
            unique(r#"<div class="w-1/2" pick></div><div class="md:flex"></div>"#),
            r".w-1\/2"
        );
        assert_eq!(
            unique(r#"<div class="-2x" pick></div><div></div>"#),
            r".-\32 x"
        );
        assert_eq!(
            unique(r#"<b data-label='Say "hi" \o/' pick></b><b></b>"#),
            r#"[data-label="Say \"hi\" \\o/"]"#
        );
        assert_eq!(
            unique(r#"<i id="été 2024" pick></i><i></i>"#),
            r"#été\ 2024"
        );
        let mut out = String::new();
        push_ident(&mut out, "-");
        push_ident(&mut out, "a\u{1}\0");
        push_string(&mut out, "\n");
        assert_eq!(out, "\\-a\\1 \u{FFFD}\"\\a \"");
    }

    #[test]
    fn the_generated_name_heuristic() {
        for name in [
            "Button_primary__3xYz9",
            "css-1a2b3c",
            "sc-AxjAm",
            "jsx-123456",
            "svelte-1xyz9ab",
            "kDjEqk",
            "bdVaJa",
            ":r1:",
            "radix-:r3:-content",
            "«r5»",
            "x-1a2b3c",
            "",
        ] {
            assert!(looks_generated(name), "{name}");
        }
        for name in [
            "btn-primary",
            "card__title",
            "col-md-6",
            "col12",
            "NavBar",
            "isOpen",
            "h1",
            "item-2",
            "md:flex",
            "hero-cta",
            "2024",
            "buy",
        ] {
            assert!(!looks_generated(name), "{name}");
        }
    }

    #[test]
    fn all_similar_takes_the_rest_of_the_list() {
        let page = r#"<ul class="menu"><li><a>Home</a></li><li><a pick>Pricing</a></li><li><a>Blog</a></li></ul><ul class="footer"><li><a>Legal</a></li></ul>"#;
        assert_eq!(similar(page), (".menu a".into(), 3));
        let page = r#"<ul class="a"><li>1</li><li pick>2</li><li>3</li></ul><ul><li>x</li></ul>"#;
        assert_eq!(similar(page), (".a > li".into(), 3));
    }

    #[test]
    fn all_similar_takes_the_same_button_of_every_card() {
        let card = r#"<div class="card"><h3>P</h3><button class="buy">Buy</button></div>"#;
        let page = format!(
            r#"<div class="grid">{card}<div class="card"><h3>Q</h3><button class="buy" pick>Buy</button></div>{card}</div><button class="buy">Hero</button>"#
        );
        assert_eq!(similar(&page), (".card > .buy".into(), 3));
        let card = "<article><p>a</p><p>b</p></article>";
        let page =
            format!(r#"<main>{card}<article><p>a</p><p pick>b</p></article>{card}</main><p>x</p>"#);
        assert_eq!(
            similar(&page),
            ("article:nth-of-type(2) > p".into(), 2),
            "the nearest repetition: its siblings"
        );
        let card = "<article><p>a</p><p><a>more</a></p></article>";
        let page = format!(
            r#"<main>{card}<article><p>a</p><p><a pick>more</a></p></article>{card}</main><p><a>x</a></p>"#
        );
        assert_eq!(
            similar(&page),
            ("article a".into(), 3),
            "the same place in each block"
        );
    }

    #[test]
    fn all_similar_without_repetition_is_the_element() {
        assert_eq!(
            similar(r#"<header><a class="logo" pick>x</a></header><a>y</a>"#),
            (".logo".into(), 1)
        );
        let page = r#"<div><section><button pick>a</button></section><section><span>no button</span></section></div><button>b</button>"#;
        assert_eq!(
            similar(page),
            ("section > button".into(), 1),
            "a block alone in its group is skipped"
        );
    }

    #[test]
    fn an_empty_ancestry_has_no_selector() {
        assert_eq!(unique_selector(&[], &mut |_| 0), None);
        assert_eq!(similar_selector(&[], &mut |_| 0), None);
        assert_eq!(clickable_target(&[]), 0);
    }

    #[test]
    fn the_counter_budget_ends_in_the_full_path() {
        let page = r#"<div><div><ul><li>a</li><li pick>b</li></ul></div><div><ul><li>a</li><li>b</li></ul></div></div>"#;
        let dom = Dom::parse(page);
        let mut calls = 0;
        let selector = unique_selector(&dom.ancestry(dom.picked()), &mut |_| {
            calls += 1;
            2
        });
        assert_eq!(
            selector.as_deref(),
            Some("body > div > div:nth-of-type(1) > ul > li:nth-of-type(2)")
        );
        assert!(calls <= MAX_CHECKS);
        assert_eq!(dom.select(&selector.unwrap()), vec![dom.picked()]);
    }

    fn page() -> impl Strategy<Value = String> {
        let tag = prop::sample::select(vec!["div", "span", "ul", "li", "a", "button", "section"]);
        let attrs = (
            prop::option::of(prop::sample::select(vec!["x", "y", "1st", ":r1:"])),
            prop::sample::subsequence(
                vec!["card", "btn", "Button_x__3xYz9", "md:flex", "active"],
                0..3,
            ),
            prop::option::of(prop::sample::select(vec!["a", "b", "c\"d"])),
        )
            .prop_map(|(id, classes, data)| {
                let mut out = String::new();
                if let Some(id) = id {
                    out += &format!(r#" id="{id}""#);
                }
                if !classes.is_empty() {
                    out += &format!(r#" class="{}""#, classes.join(" "));
                }
                if let Some(d) = data {
                    out += &format!(" data-k='{d}'");
                }
                out
            });
        let leaf = (tag.clone(), attrs.clone()).prop_map(|(t, a)| format!("<{t}{a}></{t}>"));
        leaf.prop_recursive(4, 40, 4, move |inner| {
            (
                tag.clone(),
                attrs.clone(),
                prop::collection::vec(inner, 0..4),
            )
                .prop_map(|(t, a, kids)| format!("<{t}{a}>{}</{t}>", kids.concat()))
        })
    }

    proptest! {
        #[test]
        fn the_selector_matches_exactly_the_element(tops in prop::collection::vec(page(), 1..4), pick in any::<prop::sample::Index>()) {
            let dom = Dom::parse(&tops.concat());
            let target = 2 + pick.index(dom.nodes.len() - 2);
            let selector = unique_selector(&dom.ancestry(target), &mut |s| dom.select(s).len()).unwrap();
            prop_assert_eq!(dom.select(&selector), vec![target], "{}", selector);
            let similar = similar_selector(&dom.ancestry(target), &mut |s| dom.select(s).len()).unwrap();
            prop_assert!(dom.select(&similar).contains(&target), "{}", similar);
        }
    }
}
