//! The API's OpenAPI 3.1 description, generated from the code: each handler carries its
//! operation (`#[utoipa::path]`: path, parameters, body, answers, scope), request bodies
//! derive their schemas where they are declared, and the answers' shapes are in [`schemas`].
//! Served at `GET /openapi.json`. `tests/api/openapi.rs` checks that every route is described
//! and every described operation is routed, and validates real answers against the schemas.

pub mod schemas;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    collect, contacts, definitions, events, health, held, imports, keys, quality, rejected, rules,
    send, sites, visualizer, workflows,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wasmtrack collector",
        description = "Custom behavioral events: HubSpot's custom-events API (v3 paths, fields and error body), the tracker's beacons, auto-tracking rules and data quality. Credentials are sent as `Authorization: Bearer <token>`: the admin token, or an API key whose scopes (`read`, `send`, `definitions`, `admin`) are named on each operation."
    ),
    paths(
        collect::collect,
        send::single,
        send::batch,
        definitions::list,
        definitions::create,
        definitions::read,
        definitions::update,
        definitions::delete,
        definitions::snippet,
        definitions::add_property,
        definitions::update_property,
        definitions::update_property_by_body,
        definitions::delete_property,
        events::list,
        events::event_types,
        events::completions,
        held::list,
        held::replay,
        quality::list,
        rejected::list,
        sites::list,
        sites::create,
        sites::read,
        sites::put,
        sites::delete,
        rules::list,
        rules::create,
        rules::delete,
        visualizer::issue,
        visualizer::revoke,
        visualizer::session,
        health::healthz,
        keys::create,
        keys::list,
        keys::revoke,
        contacts::read,
        contacts::list,
        contacts::search,
        imports::create,
        imports::start,
        imports::list,
        imports::read,
        imports::cancel,
        imports::refused,
        workflows::list,
        workflows::create,
        workflows::read,
        workflows::replace,
        workflows::delete,
        workflows::enrollments,
        workflows::enrollment,
        workflows::replay,
        serve,
    ),
    modifiers(&Bearer),
    tags(
        (name = "Event definitions", description = "Events and their typed properties (HubSpot's definitions API)"),
        (name = "Events", description = "Stored completions: listings, timelines, counts over time"),
        (name = "Data quality", description = "What the beacon path dropped, cut, held or refused"),
        (name = "Beacons", description = "What the tracker sends"),
        (name = "Sites", description = "Whose trackers may send beacons, from which origins"),
        (name = "Auto-tracking rules", description = "What the event visualizer saves and every tracker applies"),
        (name = "Health", description = "Liveness"),
        (name = "API keys", description = "Named credentials with scopes, revocable"),
        (name = "Contacts", description = "Contacts by id or email (HubSpot's CRM reads)"),
        (name = "Imports", description = "Spreadsheets of offline events, imported with their contacts"),
        (name = "Workflows", description = "When an event happens: enrollment, delays, waits for events, signed webhooks, and each enrollment's history"),
    )
)]
struct ApiDoc;

/// Declares the `bearer` and `visualizer` schemes the operations' security requirements name.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "visualizer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A visualizer token (`vt_…`) of the site in the path, from POST /v1/visualizer/tokens",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The admin token, or an API key (its scopes are listed on each operation)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The description as a value.
pub fn description() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /openapi.json`: the description (public, like HubSpot's published specs).
#[utoipa::path(
    get, path = "/openapi.json", tag = "Health",
    operation_id = "readOpenApi",
    summary = "This description",
    responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json", body = Object)),
    security(())
)]
pub async fn serve() -> impl IntoResponse {
    let body = description()
        .to_json()
        .unwrap_or_else(|_| String::from("{}"));
    ([(header::CONTENT_TYPE, "application/json")], body)
}
