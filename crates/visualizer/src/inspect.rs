//! Reads an element's ancestry from the DOM into `core::selector`'s terms, and asks it for the
//! selector, with `document.querySelectorAll(…).length` as the matcher.

use alloc::string::String;
use alloc::vec::Vec;
use web_sys::Element;

use wasmtrack_core::event::name_from_label;
use wasmtrack_core::selector::{clickable_target, similar_selector, unique_selector, ElementInfo};

/// The element and its ancestors up to (not including) `body`, with what the generator knows.
fn ancestry(element: &Element) -> (Vec<ElementInfo>, Vec<Element>) {
    let mut infos = Vec::new();
    let mut elements = Vec::new();
    let mut current = Some(element.clone());
    while let Some(e) = current {
        let tag = e.local_name();
        if tag == "body" || tag == "html" {
            break;
        }
        current = e.parent_element();
        infos.push(info(&e));
        elements.push(e);
    }
    (infos, elements)
}

fn info(e: &Element) -> ElementInfo {
    let tag = e.local_name();
    let mut data_attrs = Vec::new();
    let attrs = e.attributes();
    for i in 0..attrs.length() {
        if let Some(attr) = attrs.item(i) {
            if let Some(name) = attr.name().strip_prefix("data-") {
                data_attrs.push((String::from(name), attr.value()));
            }
        }
    }
    let (mut index_of_type, mut siblings_of_type) = (1, 1);
    if let Some(parent) = e.parent_element() {
        let children = parent.children();
        siblings_of_type = 0;
        for i in 0..children.length() {
            if let Some(child) = children.item(i) {
                if child.local_name() == tag {
                    siblings_of_type += 1;
                    if child == *e {
                        index_of_type = siblings_of_type;
                    }
                }
            }
        }
    }
    ElementInfo {
        id: e.get_attribute("id").filter(|v| !v.is_empty()),
        // `class`, not `className`: on SVG elements `className` is not a string.
        classes: e
            .get_attribute("class")
            .map(|c| c.split_whitespace().map(String::from).collect())
            .unwrap_or_default(),
        data_attrs,
        role: e.get_attribute("role"),
        index_of_type,
        siblings_of_type: siblings_of_type.max(1),
        tag,
    }
}

fn count(selector: &str) -> usize {
    super::ui::document()
        .and_then(|d| d.query_selector_all(selector).ok())
        .map(|l| l.length() as usize)
        .unwrap_or(0)
}

/// What a click on `element` means: the nearest control around it (an icon inside a button
/// means the button).
pub fn clickable(element: &Element) -> Element {
    let (infos, elements) = ancestry(element);
    elements
        .get(clickable_target(&infos))
        .cloned()
        .unwrap_or_else(|| element.clone())
}

/// The shortest stable selector of `element`, or of it and all elements similar to it.
pub fn selector_for(element: &Element, similar: bool) -> String {
    let (infos, _) = ancestry(element);
    let found = if similar {
        similar_selector(&infos, &mut count)
    } else {
        unique_selector(&infos, &mut count)
    };
    found.unwrap_or_else(|| element.local_name())
}

/// Attributes worth capturing as properties of the click: `data-*`, links, labels, names.
pub fn capturable_attributes(element: &Element) -> Vec<String> {
    let attrs = element.attributes();
    let mut names = Vec::new();
    for i in 0..attrs.length() {
        if let Some(attr) = attrs.item(i) {
            let name = attr.name();
            let useful = name.starts_with("data-")
                || matches!(
                    name.as_str(),
                    "href" | "aria-label" | "title" | "alt" | "name" | "value"
                );
            if useful && !property_name(&name).is_empty() {
                names.push(name);
            }
        }
    }
    names
}

/// The property an attribute is captured as: `data-plan` → `plan`, `aria-label` → `aria_label`.
pub fn property_name(attribute: &str) -> String {
    name_from_label(attribute.strip_prefix("data-").unwrap_or(attribute)).unwrap_or_default()
}

/// The element an event happened on (for a click on text, the text's element).
pub fn event_element(event: &web_sys::Event) -> Option<Element> {
    use wasm_bindgen::JsCast;
    let target = event.target()?;
    match target.dyn_into::<Element>() {
        Ok(element) => Some(element),
        Err(other) => other.dyn_into::<web_sys::Node>().ok()?.parent_element(),
    }
}
