//! `terraform_data`: a value kept in state. `output` is `input` as last
//! applied (changed in place when `input` changes); a change to
//! `triggers_replace` replaces it. Its id is a UUID fixed at creation.

use std::sync::LazyLock;

use super::{LocalType, kept};
use crate::provider::ProviderError;
use crate::provider::schema::{Attribute, Schema, Type};
use crate::value::{Attrs, Value};

pub struct TerraformData;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::optional("input", Type::Any),
            Attribute::optional("triggers_replace", Type::Any).force_new(),
            Attribute::computed("output", Type::Any),
            Attribute::computed("id", Type::String),
        ],
        vec![],
    )
    .derived("input", "output")
});

impl LocalType for TerraformData {
    fn type_name(&self) -> &'static str {
        "terraform_data"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    fn make(&self, prior: Option<&Attrs>, planned: &Attrs) -> Result<Attrs, ProviderError> {
        let mut object = kept(prior, planned, &["id"]).unwrap_or_else(|| {
            let mut object = planned.clone();
            object.insert("id".into(), Value::string(uuid::Uuid::new_v4().to_string()));
            object
        });
        let input = planned.get("input").cloned().unwrap_or(Value::Null);
        object.insert("output".into(), input);
        Ok(object)
    }
}
