//! `random_password`: `random_string` whose result is sensitive (hidden in
//! plans and `output`). Its id is "none", as in hashicorp/random.

use std::sync::LazyLock;

use super::LocalType;
use super::random_string::{random_text, string_schema};
use crate::provider::ProviderError;
use crate::provider::schema::Schema;
use crate::value::{Attrs, Value};

pub struct RandomPassword;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| string_schema(true));

impl LocalType for RandomPassword {
    fn type_name(&self) -> &'static str {
        "random_password"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    fn make(&self, _prior: Option<&Attrs>, planned: &Attrs) -> Result<Attrs, ProviderError> {
        let mut object = planned.clone();
        object.insert("result".into(), Value::string(random_text(planned)?));
        object.insert("id".into(), Value::string("none"));
        Ok(object)
    }
}
