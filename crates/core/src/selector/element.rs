//! The element model: what the generator knows about one element ([`ElementInfo`]), and which
//! element of an ancestry a click really means ([`clickable_target`]). It is the contract with
//! whoever reads the page (the browser shell, or the test DOM): they fill these fields, and
//! nothing here looks at a DOM, which is why the choices can be tested on the host.

use alloc::string::String;
use alloc::vec::Vec;

/// How many ancestors [`clickable_target`] climbs from the element under the pointer.
pub const MAX_CLIMB: usize = 5;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selector::test_dom::{unique_of, Dom};

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
}
