//! The page events are attributed to: its URL, title and the other default properties,
//! encoded once into the context the events queued on it share, and re-read when the URL
//! changes, `setPath` is called, or an earlier page's stub calls are replayed.

use alloc::rc::Rc;
use alloc::string::String;

use super::identity::Identity;
use wasmtrack_browser::page;
use wasmtrack_core::batch::Context;
use wasmtrack_core::context::{default_properties, PageInfo};
use wasmtrack_core::payload::encode_context;
use wasmtrack_core::properties::Props;

/// The page as events report it.
#[derive(Default)]
pub struct Page {
    /// `setPath`'s value, reported instead of the URL's path.
    pub path_override: Option<String>,
    /// The page calls are being replayed from (stub calls saved by an earlier page).
    pub replayed: Option<PageInfo>,
    /// The URL the page was last read at.
    pub href: String,
    defaults: Props,
    /// The encoded context of the current page state, shared by the events queued in it.
    pub context: Context,
}

impl Page {
    /// Reads the page again, then the context.
    pub fn refresh(&mut self, who: &Identity) {
        let info = page::read(self.path_override.clone(), self.replayed.as_ref());
        self.href = match self.replayed {
            Some(_) => page::href(),
            None => info.href.clone(),
        };
        self.defaults = default_properties(&info);
        self.refresh_context(who);
    }

    /// Encodes the context again (a new session, a new contact).
    pub fn refresh_context(&mut self, who: &Identity) {
        self.context = Rc::new(encode_context(
            &who.visitor,
            who.session_id(),
            &who.email,
            &who.uid,
            &self.defaults,
        ));
    }

    /// Whether the browser's URL moved since the page was read.
    pub fn moved(&self) -> bool {
        page::href() != self.href
    }
}
