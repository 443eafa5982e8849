//! The HTTP API, one file per resource. This file only assembles the routes: which need the
//! admin token, which are public, and where static files are served.
//!
//! | path | file |
//! |---|---|
//! | `/events/v3/event-definitions…` | [`definitions`] (bodies in [`definition_body`]) |
//! | `/events/v3/send`, `/events/v3/send/batch` | [`send`] |
//! | `/v1/collect` | [`collect`] (gzip bodies in [`compressed`]) |
//! | `/events/v3/events…`, `/v1/events/{name}/completions` | [`events`] |
//! | `/v1/rejected` | [`rejected`] |
//! | `/v1/held…` | [`held`] |
//! | `/v1/data-quality` | [`quality`] |
//! | `/v1/sites…` | [`sites`] |
//! | `/v1/sites/{site}/rules…` | [`rules`] (CORS in [`visualizer`]) |
//! | `/v1/visualizer/…` | [`visualizer`] |
//! | `/crm/v3/objects/contacts…` | [`contacts`] |
//! | `/v1/imports…` | [`imports`] |
//! | `/v1/workflows…` | [`workflows`] |
//! | `/healthz` | [`health`] |
//! | `/openapi.json` | [`openapi`] (the description of all of these) |

mod collect;
mod compressed;
mod contacts;
mod cursor;
pub(crate) mod definition_body;
mod definitions;
mod events;
mod health;
pub(crate) mod imports;
pub(crate) use health::healthz;
pub(crate) mod held;
mod keys;
pub mod openapi;
mod quality;
mod rejected;
mod rules;
mod send;
mod sites;
pub(crate) mod visualizer;
mod workflows;

use axum::middleware;
use axum::routing::{delete, get, patch, post};
use axum::Router;

use crate::error::ApiError;
use crate::{auth, AppState};

/// Every route, with the admin token required where it must be.
pub fn routes(state: AppState) -> Router {
    const DEFS: &str = "/events/v3/event-definitions";
    let admin = Router::new()
        .route(DEFS, get(definitions::list).post(definitions::create))
        .route(
            &format!("{DEFS}/{{event}}"),
            get(definitions::read)
                .patch(definitions::update)
                .delete(definitions::delete),
        )
        .route(
            &format!("{DEFS}/{{event}}/snippet"),
            get(definitions::snippet),
        )
        .route(
            &format!("{DEFS}/{{event}}/property"),
            post(definitions::add_property).patch(definitions::update_property_by_body),
        )
        .route(
            &format!("{DEFS}/{{event}}/property/{{property}}"),
            patch(definitions::update_property).delete(definitions::delete_property),
        )
        .route("/events/v3/send", post(send::single))
        .route("/events/v3/send/batch", post(send::batch))
        .route("/events/v3/events", get(events::list))
        .route("/events/v3/events/event-types", get(events::event_types))
        .route("/v1/events/{event}/completions", get(events::completions))
        .route("/v1/rejected", get(rejected::list))
        .route("/v1/held", get(held::list))
        .route("/v1/held/{event}/replay", post(held::replay))
        .route("/v1/data-quality", get(quality::list))
        .route("/v1/sites", get(sites::list).post(sites::create))
        .route(
            "/v1/sites/{site}",
            get(sites::read).put(sites::put).delete(sites::delete),
        )
        .route(
            "/v1/visualizer/tokens",
            post(visualizer::issue).delete(visualizer::revoke),
        )
        .route("/v1/keys", get(keys::list).post(keys::create))
        .route("/v1/keys/{id}", delete(keys::revoke))
        // An upload has no body limit here: the import applies its own as it reads, and
        // `layers` lets it outlast the request timeout.
        .route(
            "/v1/imports",
            get(imports::list)
                .post(imports::create)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/v1/imports/{id}", get(imports::read))
        .route("/v1/imports/{id}/start", post(imports::start))
        .route("/v1/imports/{id}/cancel", post(imports::cancel))
        .route("/v1/imports/{id}/refused.csv", get(imports::refused))
        .route(
            "/v1/workflows",
            get(workflows::list).post(workflows::create),
        )
        .route(
            "/v1/workflows/{id}",
            get(workflows::read)
                .put(workflows::replace)
                .delete(workflows::delete),
        )
        .route(
            "/v1/workflows/{id}/enrollments",
            get(workflows::enrollments),
        )
        .route(
            "/v1/workflows/{id}/enrollments/{enrollment}",
            get(workflows::enrollment),
        )
        .route(
            "/v1/workflows/{id}/enrollments/{enrollment}/replay",
            post(workflows::replay),
        )
        .route("/crm/v3/objects/contacts", get(contacts::list))
        .route("/crm/v3/objects/contacts/search", post(contacts::search))
        .route("/crm/v3/objects/contacts/{contact}", get(contacts::read))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_scope,
        ));
    let public = Router::new()
        .route(
            "/v1/collect",
            post(collect::collect).options(collect::preflight),
        )
        .route("/healthz", get(health::healthz))
        .route("/openapi.json", get(openapi::serve));
    // Called from the site's pages, with CORS: the rule list by every tracker (public), the
    // rest by the visualizer (its token, checked by the handlers, or the admin token).
    let visual = Router::new()
        .route(
            "/v1/visualizer/session",
            get(visualizer::session).options(visualizer::preflight),
        )
        .route(
            "/v1/sites/{site}/rules",
            get(rules::list)
                .post(rules::create)
                .options(visualizer::preflight),
        )
        .route(
            "/v1/sites/{site}/rules/{id}",
            delete(rules::delete).options(visualizer::preflight),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            visualizer::cors,
        ));
    let mut app = admin
        .merge(public)
        .merge(visual)
        .merge(crate::app::routes());
    let mut root_served = false;
    for mount in state.www.iter() {
        let files = crate::www::service(&mount.dir);
        if mount.prefix == "/" {
            app = app.fallback_service(files);
            root_served = true;
        } else {
            app = app.nest_service(&mount.prefix, files);
        }
    }
    if !root_served {
        app = app.fallback(not_found);
    }
    app.with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no endpoint at {}", uri.path()))
}

/// Properties as a JSON object, in their order (the form the store keeps).
pub(crate) fn props_json(props: &wasmtrack_core::properties::Props) -> String {
    use wasmtrack_core::payload::push_json_str;
    let mut out = String::with_capacity(
        2 + props
            .iter()
            .map(|(n, v)| n.len() + v.len() + 6)
            .sum::<usize>(),
    );
    out.push('{');
    for (i, (name, value)) in props.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_str(&mut out, name);
        out.push(':');
        push_json_str(&mut out, value);
    }
    out.push('}');
    out
}

/// Reads an optional integer query parameter within `min..=max`, with a default.
fn bounded(
    value: Option<&String>,
    name: &str,
    default: usize,
    min: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match value {
        None => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::field(
                name,
                format!("{name} must be an integer from {min} to {max}"),
            )),
        },
    }
}
