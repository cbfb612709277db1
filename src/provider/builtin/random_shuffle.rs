//! `random_shuffle`: `input` in a random order, the first `result_count`
//! of them (all by default), drawn from `seed` when given. Its id is "-",
//! as in hashicorp/random.

use std::sync::LazyLock;

use super::{LocalType, Randomness, count_argument};
use crate::provider::ProviderError;
use crate::provider::schema::{Attribute, Schema, Type};
use crate::value::{Attrs, AttrsExt, Value};

pub struct RandomShuffle;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("input", Type::list_of(Type::String)).force_new(),
            Attribute::optional("result_count", Type::Number).force_new(),
            Attribute::optional("seed", Type::String).force_new(),
            Attribute::optional("keepers", Type::map_of(Type::String)).force_new(),
            Attribute::computed("result", Type::list_of(Type::String)),
            Attribute::computed("id", Type::String),
        ],
        vec![],
    )
});

impl LocalType for RandomShuffle {
    fn type_name(&self) -> &'static str {
        "random_shuffle"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    fn make(&self, _prior: Option<&Attrs>, planned: &Attrs) -> Result<Attrs, ProviderError> {
        let mut items = planned.strings("input");
        Randomness::new(planned.str("seed")).shuffle(&mut items)?;
        if planned.contains_key("result_count") {
            items.truncate(count_argument(planned, "result_count")?);
        }
        let mut object = planned.clone();
        object.insert(
            "result".into(),
            Value::List(items.into_iter().map(Value::string).collect()),
        );
        object.insert("id".into(), Value::string("-"));
        Ok(object)
    }
}
