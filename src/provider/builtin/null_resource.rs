//! `null_resource`: nothing but an id, replaced when `triggers` change;
//! used to order other resources or to force their replacement.

use std::sync::LazyLock;

use super::{LocalType, Randomness};
use crate::provider::ProviderError;
use crate::provider::schema::{Attribute, Schema, Type};
use crate::value::{Attrs, Value};

pub struct NullResource;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::optional("triggers", Type::map_of(Type::String)).force_new(),
            Attribute::computed("id", Type::String),
        ],
        vec![],
    )
});

impl LocalType for NullResource {
    fn type_name(&self) -> &'static str {
        "null_resource"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    fn make(&self, _prior: Option<&Attrs>, planned: &Attrs) -> Result<Attrs, ProviderError> {
        // A random number, as the null provider's ids are.
        let id = Randomness::new(None).next_u64()? >> 1;
        let mut object = planned.clone();
        object.insert("id".into(), Value::string(id.to_string()));
        Ok(object)
    }
}
