//! The API's data types: one per schema of the spec, under the spec's name, with its fields in
//! snake case (the JSON names are kept by serde). They are the generated models, re-exported:
//! a schema, or a field of an answer, that the spec adds is here without any change to this
//! crate. (A field added to a request body's schema fails this crate's build, naming the field,
//! until a builder sets it: the builders fill request bodies field by field, on purpose.) Every field is an `Option`
//! where the spec does not require it; counters are `i64`.
//!
//! The operations unwrap their envelopes: `client.usage().send()` returns [`UsageDetails`] (the
//! `usage` of [`Usage`]), the listings yield [`UnitsByTests`] and
//! [`EnterpriseAgentUnitsByTestOwnerAccountGroup`] (the `breakdowns` of [`TestsUsage`] and
//! [`EnterpriseAgentsUsage`]), and `client.quotas().send()` returns the [`Quota`]s of [`Quotas`].
//! The schema of a problem report is [`Problem`] (the spec's `Error`, renamed so that it does not
//! share its name with [`crate::Error`]).
//!
//! ```
//! use thousandeyes_usage::models::UnitsByTests;
//!
//! let test: UnitsByTests = serde_json::from_str(r#"{"testName":"DNS","cloudUnitsUsed":2500000000}"#)?;
//! assert_eq!(test.cloud_units_used, Some(2_500_000_000));
//! # Ok::<(), serde_json::Error>(())
//! ```

pub use thousandeyes_usage_generated::models::*;
