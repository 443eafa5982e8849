//! What each authenticated route needs: one table, [`ROUTES`], that the authentication
//! middleware reads on every request (by the route's path template and method) and that the
//! tests walk, so that a route without a scope cannot pass unnoticed: the middleware refuses a
//! matched route the table lacks, and `tests/api/scopes.rs` checks every entry with and
//! without its scope, and against the OpenAPI description.

use axum::http::Method;
use serde::{Deserialize, Serialize};

/// What a credential may do. The admin token has every scope; an API key has those it was
/// created with; `admin` implies the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read data: events, completions, definitions, sites, data quality.
    Read,
    /// Send events through the HTTP API.
    Send,
    /// Manage definitions, sites, rules and visualizer tokens.
    Definitions,
    /// Everything, API keys included.
    Admin,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Send, Scope::Definitions, Scope::Admin];

    /// The scope's name as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Send => "send",
            Scope::Definitions => "definitions",
            Scope::Admin => "admin",
        }
    }

    /// Reads the API's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Whether `held` (a credential's scopes) grants `needed`.
pub fn grants(held: &[Scope], needed: Scope) -> bool {
    held.contains(&needed) || held.contains(&Scope::Admin)
}

const DEFS: &str = "/events/v3/event-definitions";

/// Every route that takes the admin token or an API key: method, path template as routed,
/// and the scope it needs. Public routes (beacons, health, the description, the rule list)
/// and the visualizer's (which take a visualizer token, or a key with `definitions`) are not
/// here: they check their credentials themselves.
pub const ROUTES: &[(Method, &str, Scope)] = &[
    (Method::GET, DEFS, Scope::Read),
    (Method::POST, DEFS, Scope::Definitions),
    (
        Method::GET,
        "/events/v3/event-definitions/{event}",
        Scope::Read,
    ),
    (
        Method::PATCH,
        "/events/v3/event-definitions/{event}",
        Scope::Definitions,
    ),
    (
        Method::DELETE,
        "/events/v3/event-definitions/{event}",
        Scope::Definitions,
    ),
    (
        Method::GET,
        "/events/v3/event-definitions/{event}/snippet",
        Scope::Read,
    ),
    (
        Method::POST,
        "/events/v3/event-definitions/{event}/property",
        Scope::Definitions,
    ),
    (
        Method::PATCH,
        "/events/v3/event-definitions/{event}/property",
        Scope::Definitions,
    ),
    (
        Method::PATCH,
        "/events/v3/event-definitions/{event}/property/{property}",
        Scope::Definitions,
    ),
    (
        Method::DELETE,
        "/events/v3/event-definitions/{event}/property/{property}",
        Scope::Definitions,
    ),
    (Method::POST, "/events/v3/send", Scope::Send),
    (Method::POST, "/events/v3/send/batch", Scope::Send),
    (Method::GET, "/events/v3/events", Scope::Read),
    (Method::GET, "/events/v3/events/event-types", Scope::Read),
    (Method::GET, "/v1/events/{event}/completions", Scope::Read),
    (Method::GET, "/v1/rejected", Scope::Read),
    (Method::GET, "/v1/held", Scope::Read),
    (Method::POST, "/v1/held/{event}/replay", Scope::Definitions),
    (Method::GET, "/v1/data-quality", Scope::Read),
    (Method::GET, "/v1/sites", Scope::Read),
    (Method::POST, "/v1/sites", Scope::Definitions),
    (Method::GET, "/v1/sites/{site}", Scope::Read),
    (Method::PUT, "/v1/sites/{site}", Scope::Definitions),
    (Method::DELETE, "/v1/sites/{site}", Scope::Definitions),
    (Method::POST, "/v1/visualizer/tokens", Scope::Definitions),
    (Method::DELETE, "/v1/visualizer/tokens", Scope::Definitions),
    (Method::GET, "/v1/keys", Scope::Admin),
    (Method::POST, "/v1/keys", Scope::Admin),
    (Method::DELETE, "/v1/keys/{id}", Scope::Admin),
    (Method::POST, "/v1/imports", Scope::Definitions),
    (Method::GET, "/v1/imports", Scope::Read),
    (Method::GET, "/v1/imports/{id}", Scope::Read),
    (Method::POST, "/v1/imports/{id}/start", Scope::Definitions),
    (Method::POST, "/v1/imports/{id}/cancel", Scope::Definitions),
    (Method::GET, "/v1/imports/{id}/refused.csv", Scope::Read),
    (Method::GET, "/v1/workflows", Scope::Admin),
    (Method::POST, "/v1/workflows", Scope::Admin),
    (Method::GET, "/v1/workflows/{id}", Scope::Admin),
    (Method::PUT, "/v1/workflows/{id}", Scope::Admin),
    (Method::DELETE, "/v1/workflows/{id}", Scope::Admin),
    (Method::GET, "/v1/workflows/{id}/enrollments", Scope::Admin),
    (
        Method::GET,
        "/v1/workflows/{id}/enrollments/{enrollment}",
        Scope::Admin,
    ),
    (
        Method::POST,
        "/v1/workflows/{id}/enrollments/{enrollment}/replay",
        Scope::Admin,
    ),
    (Method::GET, "/crm/v3/objects/contacts", Scope::Read),
    // A search only reads, though HubSpot made it a POST.
    (Method::POST, "/crm/v3/objects/contacts/search", Scope::Read),
    (
        Method::GET,
        "/crm/v3/objects/contacts/{contact}",
        Scope::Read,
    ),
];

/// The scope the route `path` (as routed) needs for `method` (`HEAD` as `GET`); `None` for a
/// route the table lacks.
pub fn needed(method: &Method, path: &str) -> Option<Scope> {
    let method = if *method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    ROUTES
        .iter()
        .find(|(m, p, _)| m == method && *p == path)
        .map(|(_, _, scope)| *scope)
}

/// Whether the table lists the route `path` with some method.
pub fn listed(path: &str) -> bool {
    ROUTES.iter().any(|(_, p, _)| *p == path)
}
