//! A plan file of any bytes decodes to a plan file or a clear error, never
//! a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terrane::plan::file::PlanFile;

fuzz_target!(|data: &[u8]| {
    let _ = PlanFile::from_bytes("fuzz.plan", data);
});
