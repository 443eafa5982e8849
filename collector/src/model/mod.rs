//! The collector's domain: event definitions with typed properties, sites, auto-tracking
//! rules, and HubSpot's default event properties. Plain data and pure rules; storage and
//! HTTP live elsewhere.

pub mod definition;
pub mod hubspot_defaults;
pub mod rule;
pub mod site;

pub use definition::{
    ChangeError, DefinitionChange, EventDefinition, PrimaryObject, PropertyDef, PropertyOption,
    PropertyType,
};
pub use rule::Rule;
pub use site::Site;
