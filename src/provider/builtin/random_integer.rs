//! `random_integer`: a whole number from `min` to `max` inclusive, drawn
//! from `seed` when given. Its id is the number as text.

use std::sync::LazyLock;

use super::{LocalType, Randomness};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

pub struct RandomInteger;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("min", Type::Number).force_new(),
            Attribute::required("max", Type::Number).force_new(),
            Attribute::optional("seed", Type::String).force_new(),
            Attribute::optional("keepers", Type::map_of(Type::String)).force_new(),
            Attribute::computed("result", Type::Number),
            Attribute::computed("id", Type::String),
        ],
        vec![],
    )
});

impl LocalType for RandomInteger {
    fn type_name(&self) -> &'static str {
        "random_integer"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    fn make(&self, _prior: Option<&Attrs>, planned: &Attrs) -> Result<Attrs, ProviderError> {
        let (Some(min), Some(max)) = (planned.i64("min"), planned.i64("max")) else {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                "min and max are required",
            ));
        };
        if min > max {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!("min ({min}) is greater than max ({max})"),
            ));
        }
        // In i128, so that the full i64 range neither overflows nor wraps.
        let span = (i128::from(max) - i128::from(min) + 1) as u128;
        let draw = match u64::try_from(span) {
            Ok(span) => u128::from(Randomness::new(planned.str("seed")).below(span)?),
            // The whole u64 range: any number.
            Err(_) => u128::from(Randomness::new(planned.str("seed")).next_u64()?),
        };
        let result = (i128::from(min) + draw as i128) as i64;
        let mut object = planned.clone();
        object.insert("result".into(), Value::from(result));
        object.insert("id".into(), Value::string(result.to_string()));
        Ok(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::attrs;

    #[test]
    fn stays_within_bounds_and_repeats_with_a_seed() {
        let planned = attrs([
            ("min", Value::from(3)),
            ("max", Value::from(5)),
            ("seed", Value::string("s")),
        ]);
        let first = RandomInteger.make(None, &planned).unwrap();
        let result = first.i64("result").unwrap();
        assert!((3..=5).contains(&result));
        assert_eq!(RandomInteger.make(None, &planned).unwrap(), first);
    }
}
