//! Auto-tracking: the rules a marketer defined in the visualizer, as the tracker applies them.
//!
//! The browser shell reads the collector's rule list ([`decode_rules`]) and asks two questions
//! here: which page-view rules fire for a URL (each once per page view), and which properties a
//! click event carries. Clicks are matched by the shell (`element.closest(selector)`); what a
//! rule's properties are made of is decided here.
//!
//! # The rule list as trackers read it
//! The collector sends trackers the list as text (`GET /v1/sites/{site}/rules?format=text`),
//! which the tracker also keeps in storage as it came: reading it takes a few splits, where JSON
//! would take a parser or a JS round trip per field on every page load. One rule a line, fields
//! separated by a tab; `\`, tab, CR and newline inside a field are escaped as `\\`, `\t`,
//! `\r`, `\n`:
//!
//! ```text
//! wr2
//! <id>→c→<event name>→<CSS selector>[→<property>→<source>]…   a click rule    (→ is a tab)
//! <id>→e→<event name>→<URL>[→<property>→<source>]…            a page-view rule: e exact,
//!                                              s starts with, i contains, p pattern
//! ```
//!
//! A source is `text` or `attr:<attribute name>`. A line that cannot be read (a kind a newer
//! collector added, damage) is skipped: the others still fire.

use super::properties::{clip_value, Props};
use super::rules::{Capture, Rule, Source, Trigger, UrlRule, ELEMENT_TEXT, SELECTOR};
use super::text::{parse_u64, split};
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

/// The first line of the rule-list text.
const RULES_HEADER: &str = "wr2";

/// The rule list as text (format in the module docs).
pub fn encode_rules<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> String {
    let mut out = String::from(RULES_HEADER);
    for rule in rules {
        out.push('\n');
        out.push_str(&super::payload::int_string(rule.id as i64));
        let (kind, value) = match &rule.trigger {
            Trigger::Click(selector) => ('c', selector.as_str()),
            Trigger::PageView(url) => (url.code(), url.text()),
        };
        out.push('\t');
        out.push(kind);
        push_field(&mut out, &rule.event_name);
        push_field(&mut out, value);
        for Capture { name, source } in &rule.properties {
            push_field(&mut out, name);
            push_field(&mut out, &source.to_text());
        }
    }
    out
}

/// Reads the rule-list text; empty when it is not this format.
pub fn decode_rules(text: &str) -> Vec<Rule> {
    let mut lines = split(text, b'\n');
    if lines.next() != Some(RULES_HEADER) {
        return Vec::new();
    }
    lines.filter_map(decode_rule).collect()
}

fn decode_rule(line: &str) -> Option<Rule> {
    let mut fields = split(line, b'\t');
    let id = parse_u64(fields.next()?)?;
    let kind = fields.next()?;
    let event_name = unescape(fields.next()?)?;
    let value = unescape(fields.next()?)?;
    let trigger = match kind {
        "c" => Trigger::Click(value),
        "e" => Trigger::PageView(UrlRule::Exact(value)),
        "s" => Trigger::PageView(UrlRule::StartsWith(value)),
        "i" => Trigger::PageView(UrlRule::Contains(value)),
        "p" => Trigger::PageView(UrlRule::Pattern(value)),
        _ => return None,
    };
    let mut properties = Vec::new();
    while let Some(name) = fields.next() {
        properties.push(Capture {
            name: unescape(name)?,
            source: Source::parse(&unescape(fields.next()?)?)?,
        });
    }
    Some(Rule {
        id,
        event_name,
        label: String::new(),
        trigger,
        properties,
    })
}

fn push_field(out: &mut String, field: &str) {
    out.push('\t');
    for c in field.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn unescape(field: &str) -> Option<String> {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '\\' => match chars.next()? {
                '\\' => '\\',
                't' => '\t',
                'n' => '\n',
                'r' => '\r',
                _ => return None,
            },
            c => c,
        });
    }
    Some(out)
}

/// The page-view rules that fire for `url`, skipping those in `fired` (already fired for this
/// page view), which it extends. Call with an empty `fired` on every new URL.
pub fn page_views<'a>(rules: &'a [Rule], url: &str, fired: &mut Vec<u64>) -> Vec<&'a Rule> {
    let mut out = Vec::new();
    for rule in rules {
        if let Trigger::PageView(matcher) = &rule.trigger {
            if !fired.contains(&rule.id) && matcher.matches(url) {
                fired.push(rule.id);
                out.push(rule);
            }
        }
    }
    out
}

/// The properties of a click on an element matched by `rule`: its text (as a person reads it:
/// the browser shell collapses whitespace), the selector, and the rule's captured properties,
/// each within the limits. `attribute(i)` is the element's value of the `i`-th of
/// [`Rule::attribute_names`].
pub fn click_properties(
    rule: &Rule,
    selector: &str,
    text: String,
    attribute: &mut impl FnMut(usize) -> Option<String>,
) -> Props {
    let mut props: Props = Vec::with_capacity(2 + rule.properties.len());
    let mut attributes = 0;
    for (name, value) in [
        (ELEMENT_TEXT, text.clone()),
        (SELECTOR, selector.to_owned()),
    ] {
        props.push((name.to_owned(), clip_value(name, value, &mut |_| {})));
    }
    for Capture { name, source } in &rule.properties {
        let value = match source {
            Source::Text => Some(text.clone()),
            Source::Attribute(_) => {
                attributes += 1;
                attribute(attributes - 1)
            }
        };
        if let Some(value) = value {
            props.push((name.clone(), clip_value(name, value, &mut |_| {})));
        }
    }
    props
}

/// What fired events are handed to the page in: fields of one event (its name, then each
/// property's name and value) are separated by U+0001, events by U+0002.
pub const FIRED_FIELD: char = '\u{1}';
/// See [`FIRED_FIELD`].
pub const FIRED_EVENT: char = '\u{2}';

/// Appends one fired event to `out` (format at [`FIRED_FIELD`]). Either separator inside a
/// value (element text and attributes are the page's own) becomes a space, so that no text
/// of the page can add a property or an event.
pub fn push_fired(out: &mut String, name: &str, props: &[(String, String)]) {
    out.push(FIRED_EVENT);
    push_field_text(out, name);
    for (key, value) in props {
        out.push(FIRED_FIELD);
        push_field_text(out, key);
        out.push(FIRED_FIELD);
        push_field_text(out, value);
    }
}

fn push_field_text(out: &mut String, text: &str) {
    for c in text.chars() {
        out.push(if c == FIRED_FIELD || c == FIRED_EVENT {
            ' '
        } else {
            c
        });
    }
}

/// The rules one page applies (the auto-tracking module's state): the site's list, and which
/// page-view rules fired for the URL the page is at. Each method returns the events that
/// fire, written by [`push_fired`].
#[derive(Default)]
pub struct Applied {
    rules: Vec<Rule>,
    href: String,
    fired: Vec<u64>,
}

impl Applied {
    /// Takes a new rule list (rules it no longer has stop firing); the page-view rules of
    /// `href` that have not fired for it yet fire.
    pub fn set_rules(&mut self, text: &str, href: &str) -> String {
        self.rules = decode_rules(text);
        self.page_view(href)
    }

    /// The page is at `href` (loaded, or moved by the page's script): on a new URL every
    /// page-view rule that matches fires, on the same URL only those that have not yet.
    pub fn page_view(&mut self, href: &str) -> String {
        if href != self.href {
            self.href = href.to_owned();
            self.fired.clear();
        }
        let mut out = String::new();
        for rule in page_views(&self.rules, href, &mut self.fired) {
            push_fired(&mut out, &rule.event_name, &[]);
        }
        out
    }

    /// A click: each click rule whose selector picks an element (`matched(selector,
    /// attribute names)`: the clicked element or an ancestor, with its text and the values of
    /// the attributes asked for) fires with [`click_properties`].
    pub fn click(
        &self,
        matched: &mut impl FnMut(&str, &str) -> Option<(String, Vec<Option<String>>)>,
    ) -> String {
        let mut out = String::new();
        for rule in &self.rules {
            if let Trigger::Click(selector) = &rule.trigger {
                if let Some((text, mut attributes)) = matched(selector, &rule.attribute_names()) {
                    let props = click_properties(rule, selector, text, &mut |i| {
                        attributes.get_mut(i).and_then(Option::take)
                    });
                    push_fired(&mut out, &rule.event_name, &props);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: u64, rule: UrlRule) -> Rule {
        Rule {
            id,
            event_name: "viewed".into(),
            label: String::new(),
            trigger: Trigger::PageView(rule),
            properties: vec![],
        }
    }

    fn fired(text: &str) -> Vec<Vec<&str>> {
        text.split(FIRED_EVENT)
            .skip(1)
            .map(|e| e.split(FIRED_FIELD).collect())
            .collect()
    }

    #[test]
    fn applied_rules_fire_page_views_once_per_url_and_clicks_with_their_captures() {
        let rules = vec![
            view(1, UrlRule::StartsWith("/pricing".into())),
            view(2, UrlRule::Contains("plan=".into())),
            Rule {
                id: 3,
                event_name: "clicked_buy".into(),
                label: String::new(),
                trigger: Trigger::Click("#buy".into()),
                properties: vec![Capture {
                    name: "plan".into(),
                    source: Source::Attribute("data-plan".into()),
                }],
            },
        ];
        let text = encode_rules(&rules);
        let mut applied = Applied::default();
        let at = "https://shop.example/pricing";
        assert_eq!(fired(&applied.set_rules(&text, at)), vec![vec!["viewed"]]);
        // The same URL again (a fresh list, a replaceState that changed nothing): nothing new.
        assert_eq!(applied.set_rules(&text, at), "");
        assert_eq!(applied.page_view(at), "");
        // A new URL: each matching rule fires once for it.
        assert_eq!(
            fired(&applied.page_view("https://shop.example/pricing?plan=pro")),
            vec![vec!["viewed"], vec!["viewed"]]
        );
        assert_eq!(
            applied.page_view("https://shop.example/pricing?plan=pro"),
            ""
        );
        // A click the selector picks: its text, selector and captured attribute. Page text
        // holding the separators cannot add fields or events.
        let mut asked = Vec::new();
        let out = applied.click(&mut |selector, names| {
            asked.push((selector.to_owned(), names.to_owned()));
            Some(("Buy \u{1}now\u{2}".into(), vec![Some("pro\u{1}x".into())]))
        });
        assert_eq!(asked, vec![("#buy".to_owned(), "data-plan".to_owned())]);
        assert_eq!(
            fired(&out),
            vec![vec![
                "clicked_buy",
                ELEMENT_TEXT,
                "Buy  now ",
                SELECTOR,
                "#buy",
                "plan",
                "pro x"
            ]]
        );
        // A click no selector picks fires nothing; an empty list stops every rule.
        assert_eq!(applied.click(&mut |_, _| None), "");
        assert_eq!(
            applied.set_rules("wr2", "https://shop.example/other?plan=x"),
            ""
        );
        assert_eq!(applied.click(&mut |_, _| Some((String::new(), vec![]))), "");
    }

    #[test]
    fn the_rule_list_round_trips_through_its_text() {
        let rules = vec![
            Rule {
                id: 7,
                event_name: "clicked_buy".into(),
                label: String::new(),
                trigger: Trigger::Click("#buy".into()),
                properties: vec![
                    Capture {
                        name: "plan".into(),
                        source: Source::Attribute("data-plan".into()),
                    },
                    Capture {
                        name: "label".into(),
                        source: Source::Text,
                    },
                ],
            },
            Rule {
                id: 8,
                event_name: "odd".into(),
                label: String::new(),
                trigger: Trigger::Click("[data-x=\"a\\9 b\tc\nd\\\\\"] > li".into()),
                properties: vec![],
            },
            view(9, UrlRule::Exact("/pricing".into())),
            view(10, UrlRule::StartsWith("/blog/".into())),
            view(11, UrlRule::Contains("utm_source=ad".into())),
            view(12, UrlRule::Pattern("/p/*/reviews".into())),
        ];
        let text = encode_rules(&rules);
        assert_eq!(text.lines().count(), 7, "one line a rule: {text}");
        assert!(
            text.starts_with(
                "wr2\n7\tc\tclicked_buy\t#buy\tplan\tattr:data-plan\tlabel\ttext\n8\tc\todd\t"
            ),
            "{text}"
        );
        assert!(text.ends_with("\n12\tp\tviewed\t/p/*/reviews"), "{text}");
        assert_eq!(decode_rules(&text), rules);
        assert_eq!(encode_rules(&[]), "wr2");
        assert!(decode_rules("wr2").is_empty());
    }

    #[test]
    fn unreadable_rule_lines_are_skipped_and_other_formats_read_as_none() {
        let text = "wr2\n1\tz\tfuture\tthing\n2\tc\tbuy\t.cta\nx\tc\ta\tb\n3\tc\ta\n4\te\ta\t\\x\n5\tc\ta\tb\tprop\n6\tc\ta\tb\tp\thtml";
        let rules = decode_rules(text);
        assert_eq!(
            rules,
            vec![Rule {
                id: 2,
                event_name: "buy".into(),
                label: String::new(),
                trigger: Trigger::Click(".cta".into()),
                properties: vec![]
            }]
        );
        assert!(decode_rules("").is_empty());
        assert!(decode_rules("{\"rules\":[]}").is_empty());
        assert!(decode_rules("wr1\nc\ta\tb").is_empty());
    }

    #[test]
    fn a_page_view_rule_fires_once_per_page_view() {
        let rules = vec![
            view(1, UrlRule::StartsWith("/pricing".into())),
            view(2, UrlRule::Contains("plan=pro".into())),
            Rule {
                id: 3,
                event_name: "clicked".into(),
                label: String::new(),
                trigger: Trigger::Click("#buy".into()),
                properties: vec![],
            },
        ];
        let mut fired = Vec::new();
        let first: Vec<u64> =
            page_views(&rules, "https://shop.example/pricing?plan=pro", &mut fired)
                .iter()
                .map(|r| r.id)
                .collect();
        assert_eq!(first, vec![1, 2]);
        assert!(
            page_views(&rules, "https://shop.example/pricing?plan=pro", &mut fired).is_empty(),
            "not twice"
        );
        let mut fired = Vec::new();
        assert!(page_views(&rules, "https://shop.example/about", &mut fired).is_empty());
    }

    #[test]
    fn a_click_carries_text_selector_and_captured_properties_within_the_limits() {
        let rule = Rule {
            id: 1,
            event_name: "cta".into(),
            label: String::new(),
            trigger: Trigger::Click("#buy".into()),
            properties: vec![
                Capture {
                    name: "plan".into(),
                    source: Source::Attribute("data-plan".into()),
                },
                Capture {
                    name: "label".into(),
                    source: Source::Text,
                },
                Capture {
                    name: "missing".into(),
                    source: Source::Attribute("data-x".into()),
                },
            ],
        };
        assert_eq!(rule.attribute_names(), "data-plan data-x");
        let long = "word ".repeat(100);
        let props = click_properties(&rule, "#buy", long, &mut |i| (i == 0).then(|| "pro".into()));
        let names: Vec<&str> = props.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, vec!["element_text", "selector", "plan", "label"]);
        assert_eq!(props[0].1.len(), 256);
        assert_eq!(props[1].1, "#buy");
        assert_eq!(props[2].1, "pro");
    }

    proptest::proptest! {
        #[test]
        fn any_rule_list_round_trips(rules in proptest::collection::vec((0u64..1000, 0u8..5, ".{0,8}", ".{0,12}", proptest::collection::vec(("[a-z\t\\\\]{1,6}", proptest::option::of("[a-z\n-]{1,6}")), 0..3)), 0..6)) {
            let rules: Vec<Rule> = rules
                .into_iter()
                .map(|(id, kind, name, value, props)| Rule {
                    id,
                    event_name: name,
                    label: String::new(),
                    trigger: match kind {
                        0 => Trigger::Click(value),
                        1 => Trigger::PageView(UrlRule::Exact(value)),
                        2 => Trigger::PageView(UrlRule::StartsWith(value)),
                        3 => Trigger::PageView(UrlRule::Contains(value)),
                        _ => Trigger::PageView(UrlRule::Pattern(value)),
                    },
                    properties: props.into_iter().map(|(n, attr)| Capture { name: n, source: attr.map_or(Source::Text, Source::Attribute) }).collect(),
                })
                .collect();
            proptest::prop_assert_eq!(decode_rules(&encode_rules(&rules)), rules);
        }
    }
}
