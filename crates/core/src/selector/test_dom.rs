//! The tests' page model ([`Dom`]) and the checks every selector test goes through
//! ([`unique`], [`unique_of`], [`similar`]), each asserting that the selector selects what it
//! claims. Kept in a file of its own because the tests of every part (search, escaping, names,
//! clicks) run against the same page, and none of it ships.

use super::{similar_selector, unique_selector, ElementInfo};

/// A page for the tests: parsed from a tag soup, queried with the selector syntax the
/// generator writes (compounds of tag, `#id`, `.class`, `[attr]`, `[attr="v"]`,
/// `:nth-of-type(n)`, CSS escapes; descendant and child combinators).
pub(super) struct Dom {
    pub(super) nodes: Vec<Node>,
}

pub(super) struct Node {
    tag: String,
    attrs: Vec<(String, String)>,
    pub(super) parent: Option<usize>,
    children: Vec<usize>,
}

const VOID: [&str; 7] = ["img", "input", "br", "path", "use", "circle", "rect"];

impl Dom {
    /// The body's content; `html` is node 0 and `body` node 1. Text is ignored; attribute
    /// values are quoted with `"` or `'`; the element to choose carries `pick`.
    pub(super) fn parse(html: &str) -> Dom {
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

    pub(super) fn picked(&self) -> usize {
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

    pub(super) fn ancestry(&self, mut node: usize) -> Vec<ElementInfo> {
        let mut out = vec![];
        while node > 1 {
            out.push(self.info(node));
            node = self.nodes[node].parent.unwrap();
        }
        out
    }

    pub(super) fn select(&self, selector: &str) -> Vec<usize> {
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
pub(super) fn unique(html: &str) -> String {
    let dom = Dom::parse(html);
    let target = dom.picked();
    unique_of(&dom, target)
}

pub(super) fn unique_of(dom: &Dom, target: usize) -> String {
    let selector =
        unique_selector(&dom.ancestry(target), &mut |s| dom.select(s).len()).expect("an element");
    assert_eq!(dom.select(&selector), vec![target], "{selector}");
    selector
}

/// The "all similar" selector of the picked element and how many it selects.
pub(super) fn similar(html: &str) -> (String, usize) {
    let dom = Dom::parse(html);
    let target = dom.picked();
    let selector =
        similar_selector(&dom.ancestry(target), &mut |s| dom.select(s).len()).expect("an element");
    let hits = dom.select(&selector);
    assert!(hits.contains(&target), "{selector}");
    (selector, hits.len())
}
