//! The search for a selector: the compounds true of each element of the ancestry and how far
//! each is trusted, and the order in which they are combined and counted within the counter's
//! budget. The module's promises (every candidate matches the element; for "all similar",
//! every candidate matches a superset of the group) rest on how candidates are built, so all
//! the building and ordering stays in this one file.

use super::css::{ident, join, push_ident, push_nth, push_string};
use super::element::ElementInfo;
use super::stability::{looks_generated, preferred_data, stable_classes, stable_data};
use alloc::string::String;
use alloc::vec::Vec;

/// Most counter calls one selector may cost; hovering asks for a selector on every move.
pub const MAX_CHECKS: usize = 400;
/// Best compounds of each ancestor considered as anchors.
const MAX_ANCHORS: usize = 3;

// Costs of compounds: lower is more stable.
const ID: u8 = 0;
const TEST_DATA: u8 = 1;
const DATA: u8 = 2;
const CLASS: u8 = 3;
const QUALIFIED: u8 = 4;
const TAG: u8 = 5;

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

fn positional(e: &ElementInfo, parts: Vec<Part>) -> Level {
    let mut pos = ident(&e.tag);
    let bare = pos.len();
    if e.siblings_of_type > 1 {
        push_nth(&mut pos, e.index_of_type);
    }
    Level { parts, pos, bare }
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
    use crate::selector::clickable_target;
    use crate::selector::test_dom::{similar, unique, Dom};
    use proptest::prelude::*;

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
