//! A state file of any bytes decodes to a state or a clear error, never a
//! panic; a state that decodes writes back and decodes again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terrane::state::State;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(state) = State::from_json(text) {
        let again = State::from_json(&state.to_json()).expect("a written state reads back");
        assert_eq!(again.resources.len(), state.resources.len());
    }
});
