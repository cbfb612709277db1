//! `random_pet`: a readable random name such as `brave-otter`: `length`
//! words (adverbs, an adjective, a name) joined by `separator`, after
//! `prefix`. Its id is the name.

use std::sync::LazyLock;

use super::{LocalType, Randomness, count_argument};
use crate::provider::ProviderError;
use crate::provider::schema::{Attribute, Schema, Type};
use crate::value::{Attrs, AttrsExt, Value};

pub struct RandomPet;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::optional("length", Type::Number)
                .default(2)
                .force_new(),
            Attribute::optional("prefix", Type::String).force_new(),
            Attribute::optional("separator", Type::String)
                .default("-")
                .force_new(),
            Attribute::optional("keepers", Type::map_of(Type::String)).force_new(),
            Attribute::computed("id", Type::String),
        ],
        vec![],
    )
});

const ADVERBS: &[&str] = &[
    "boldly", "briskly", "calmly", "cleanly", "deeply", "eagerly", "evenly", "fairly", "firmly",
    "freely", "gently", "gladly", "happily", "highly", "keenly", "kindly", "lightly", "loudly",
    "mostly", "neatly", "openly", "quietly", "rapidly", "really", "safely", "simply", "slowly",
    "smoothly", "softly", "surely", "swiftly", "truly", "vastly", "warmly", "wildly", "wisely",
];
const ADJECTIVES: &[&str] = &[
    "able", "amazed", "bold", "brave", "bright", "calm", "clever", "cosmic", "crisp", "daring",
    "eager", "epic", "fair", "fast", "fine", "fond", "free", "fresh", "glad", "grand", "happy",
    "hardy", "honest", "jolly", "keen", "kind", "lucky", "merry", "mighty", "noble", "proud",
    "quick", "quiet", "rapid", "sharp", "smart", "steady", "sunny", "swift", "tidy", "vital",
    "warm", "wise", "witty", "young", "zesty",
];
const NAMES: &[&str] = &[
    "badger", "beagle", "bison", "bobcat", "condor", "coyote", "crane", "dingo", "dolphin",
    "eagle", "falcon", "ferret", "finch", "gazelle", "gecko", "heron", "ibex", "jackal", "koala",
    "lemur", "lynx", "marten", "mole", "moose", "newt", "ocelot", "orca", "osprey", "otter",
    "panda", "pelican", "puffin", "quail", "raven", "robin", "salmon", "seal", "sparrow", "stork",
    "tapir", "toucan", "trout", "walrus", "weasel", "whale", "wombat", "yak", "zebra",
];

impl LocalType for RandomPet {
    fn type_name(&self) -> &'static str {
        "random_pet"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    fn make(&self, _prior: Option<&Attrs>, planned: &Attrs) -> Result<Attrs, ProviderError> {
        let length = count_argument(planned, "length").unwrap_or(2).max(1);
        let mut random = Randomness::new(None);
        let mut pick = |words: &[&'static str]| -> Result<&'static str, ProviderError> {
            Ok(words[random.below(words.len() as u64)? as usize])
        };
        let mut words = Vec::with_capacity(length + 1);
        if let Some(prefix) = planned.str("prefix") {
            words.push(prefix.to_string());
        }
        for _ in 2..length {
            words.push(pick(ADVERBS)?.to_string());
        }
        if length >= 2 {
            words.push(pick(ADJECTIVES)?.to_string());
        }
        words.push(pick(NAMES)?.to_string());
        let separator = planned.str("separator").unwrap_or("-");
        let mut object = planned.clone();
        object.insert("id".into(), Value::string(words.join(separator)));
        Ok(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::attrs;

    #[test]
    fn names_have_the_words_asked_for() {
        let object = RandomPet
            .make(
                None,
                &attrs([
                    ("length", Value::from(3)),
                    ("prefix", Value::string("web")),
                    ("separator", Value::string(".")),
                ]),
            )
            .unwrap();
        let name = object.str("id").unwrap();
        let words: Vec<&str> = name.split('.').collect();
        assert_eq!(words.len(), 4, "{name}");
        assert_eq!(words[0], "web");
        assert!(NAMES.contains(&words[3]), "{name}");
    }
}
