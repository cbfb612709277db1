//! Answers checked against `terraform console` (Terraform 1.11).

use super::*;

fn n(text: &str) -> Number {
    Number::parse(text).unwrap_or_else(|| panic!("{text} parses"))
}

fn f(x: f64) -> Number {
    Number::from_f64(x).expect("not NaN")
}

#[test]
fn sums_and_quotients_print_as_terraform_prints_them() {
    assert_eq!(n("0.1").add(&n("0.2")).unwrap().to_string(), "0.3");
    assert_eq!(
        n("1").div(&n("3")).unwrap().to_string(),
        format!("0.{}5", "3".repeat(154))
    );
    assert_eq!(
        n("2")
            .div(&n("3"))
            .unwrap()
            .mul(&n("3"))
            .unwrap()
            .to_string(),
        "2"
    );
    assert_eq!(
        n("1e20").add(&n("1")).unwrap().to_string(),
        "100000000000000000001"
    );
    assert_eq!(
        n("1.1").mul(&n("1.1")).unwrap().to_string(),
        format!("1.21{}1", "0".repeat(151))
    );
    assert_eq!(
        n("100").div(&n("7")).unwrap().to_string(),
        format!("14.{}286", "285714".repeat(25))
    );
    assert_eq!(
        n("0.1").mul(&n("0.1")).unwrap().to_string(),
        format!("0.01{}1", "0".repeat(153))
    );
    assert_eq!(
        n("1").sub(&n("0.9")).unwrap().to_string(),
        format!("0.1{}3", "0".repeat(153))
    );
    assert_eq!(n("1e400").to_string(), format!("1{}", "0".repeat(400)));
    assert_eq!(n("2e-5").to_string(), "0.00002");
    assert_eq!(
        n("12345678901234567890").to_string(),
        "12345678901234567890"
    );
}

#[test]
fn each_number_keeps_its_own_precision() {
    // A length is a 64-bit integer, so a quotient of two keeps 64 bits.
    let two = Number::from_i64(2);
    let three = Number::from_i64(3);
    assert_eq!(
        two.div(&three).unwrap().to_string(),
        "0.6666666666666666667"
    );
    // log and pow compute in machine floats (53 bits); their product is
    // kept with the bits it needs.
    let log = f(10f64.ln() / 3f64.ln());
    assert_eq!(log.to_string(), "2.095903274289385");
    assert_eq!(
        log.mul(&log).unwrap().to_string(),
        "4.392810535176964310715844674152"
    );
    assert_eq!(
        log.add(&n("0")).unwrap().to_string(),
        "2.09590327428938483222964350716210901737213134765625"
    );
    let root = f(2f64.powf(0.5));
    assert_eq!(
        root.mul(&root).unwrap().to_string(),
        "2.00000000000000027343234630647693"
    );
    assert_eq!(
        f(2f64.powi(100)).to_string(),
        "1267650600228229400000000000000"
    );
}

#[test]
fn repeated_sums_round_as_go_rounds() {
    // range(0, 1, 0.1) in Terraform.
    let step = n("0.1");
    let mut x = n("0");
    let mut printed = Vec::new();
    for _ in 0..10 {
        printed.push(x.to_string());
        x = x.add(&step).unwrap();
    }
    assert_eq!(
        &printed[..7],
        ["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6"]
    );
    assert_eq!(printed[7], format!("0.7{}6", "0".repeat(153)));
    assert_eq!(printed[8], format!("0.8{}1", "0".repeat(152)));
}

#[test]
fn zeros_keep_their_sign_as_in_go() {
    assert_eq!(n("-0").to_string(), "-0");
    assert_eq!(n("0").mul(&n("-1")).unwrap().to_string(), "-0");
    assert_eq!(n("-0").add(&n("0")).unwrap().to_string(), "0");
    assert_eq!(n("0").sub(&n("0")).unwrap().to_string(), "0");
    assert_eq!(n("0").neg().to_string(), "-0");
    assert_eq!(n("-0"), n("0"));
    assert_eq!(n("-0.5").floor().to_string(), "-1");
    assert_eq!(n("-0.5").ceil().to_string(), "0");
    assert_eq!(n("7.5").floor().to_string(), "7");
}

#[test]
fn remainders_follow_cty() {
    let rem = |a: &str, b: &str| n(a).rem(&n(b)).unwrap().unwrap().to_string();
    assert_eq!(rem("5", "3.3"), "1.7");
    assert_eq!(rem("-7", "3"), "-1");
    assert_eq!(rem("7.5", "2"), "1.5");
    assert_eq!(rem("5", "0"), "5");
    let infinity = n("1").div(&n("0")).unwrap();
    assert_eq!(n("5").rem(&infinity), Some(Err(NotANumber)));
    assert_eq!(infinity.rem(&n("5")), None);
}

#[test]
fn infinities_follow_go() {
    let inf = n("1").div(&n("0")).unwrap();
    assert_eq!(inf.to_string(), "+Inf");
    assert_eq!(inf.neg().to_string(), "-Inf");
    assert_eq!(n("Inf").to_string(), "+Inf");
    assert_eq!(n("-inf").to_string(), "-Inf");
    assert!(Number::parse("infinity").is_none());
    assert!(Number::parse("NaN").is_none());
    assert_eq!(inf.sub(&inf), Err(NotANumber));
    assert_eq!(inf.neg().add(&inf), Err(NotANumber));
    assert_eq!(n("0").mul(&inf), Err(NotANumber));
    assert_eq!(n("0").div(&n("0")), Err(NotANumber));
    assert_eq!(inf.div(&inf), Err(NotANumber));
    assert_eq!(inf.add(&n("1")).unwrap(), inf);
    assert_eq!(n("1").div(&inf).unwrap().to_string(), "0");
    assert_eq!(inf.floor(), inf);
    assert_eq!(inf.compare(&n("5")), Ordering::Greater);
    assert_eq!(inf.to_f64(), f64::INFINITY);
}

#[test]
fn equality_is_by_printed_form_as_in_cty() {
    // 0.1 read as 512 bits and as a machine float print the same.
    assert_eq!(n("0.1"), f(0.1));
    let third = n("1").div(&n("3")).unwrap();
    assert_ne!(third, f(1.0 / 3.0));
    assert_ne!(n("1"), n("1.5"));
    assert_eq!(n("1e3"), Number::from_i64(1000));
    assert_eq!(n("0.1").compare(&f(0.1)), Ordering::Less);
}

#[test]
fn formats_as_go_fmt_formats_big_floats() {
    assert_eq!(n("1e20").text('e', Some(6)), "1.000000e+20");
    assert_eq!(n("1e20").text('g', None), "1e+20");
    assert_eq!(n("123456").text('e', Some(3)), "1.235e+05");
    assert_eq!(n("1e-7").text('G', None), "1E-07");
    assert_eq!(n("123456789").text('g', None), "1.23456789e+08");
    assert_eq!(n("3.14159").text('f', Some(1)), "3.1");
    assert_eq!(n("-3.5").text('f', Some(3)), "-3.500");
    let third = n("-1").div(&n("3")).unwrap();
    assert_eq!(third.text('e', Some(6)), "-3.333333e-01");
    assert_eq!(third.text('f', Some(6)), "-0.333333");
    assert_eq!(third.text('f', Some(2)), "-0.33");
    assert_eq!(n("0").text('e', None), "0e+00");
    assert_eq!(n("0").text('g', None), "0");
    assert_eq!(n("0.6").text('f', Some(0)), "1");
    assert_eq!(n("2.5").text('f', Some(0)), "2");
    assert_eq!(n("100").text('g', Some(2)), "1e+02");
}

#[test]
fn converts_to_machine_types() {
    assert_eq!(n("0.1").to_f64(), 0.1);
    assert_eq!(n("-2.5e-3").to_f64(), -0.0025);
    assert_eq!(n("1e400").to_f64(), f64::INFINITY);
    assert_eq!(f(5e-324).to_f64(), 5e-324);
    // Just above half the smallest float: rounds up, once.
    assert_eq!(n("2.4703282292062328e-324").to_f64(), 5e-324);
    assert_eq!(n("2.4703282292062327e-324").to_f64(), 0.0);
    assert_eq!(n("1.7976931348623157e308").to_f64(), f64::MAX);
    assert_eq!(n("1.7976931348623158078e308").to_f64(), f64::MAX);
    assert_eq!(n("1.7976931348623158080e308").to_f64(), f64::INFINITY);
    assert_eq!(n("-1e-400").to_f64(), -0.0);
    assert_eq!(n("123.456").to_f64(), 123.456);
    let huge = n("1e100000").mul(&n("1e100000")).unwrap();
    assert_eq!(huge.to_i64(), None);
    assert_eq!(n("42").to_i64(), Some(42));
    assert_eq!(n("-42").to_i64(), Some(-42));
    assert_eq!(n("4.2").to_i64(), None);
    assert_eq!(n("1e30").to_i64(), None);
    assert!(n("1e30").is_integer());
    assert_eq!(Number::from(7usize).to_string(), "7");
}

#[test]
fn refuses_what_go_refuses() {
    for text in [
        "", "-", ".", "1e", "1e+", "0x10", " 1", "1 ", "1.2.3", "e5", "1e200000",
    ] {
        assert!(Number::parse(text).is_none(), "{text:?}");
    }
    for text in ["5.", ".5", "+5", "-5e-3", "1E5", "007"] {
        assert!(Number::parse(text).is_some(), "{text:?}");
    }
}

#[test]
fn numbers_that_print_alike_are_one_set_element() {
    use crate::value::Value;
    // 0.1 read with 512 bits and as a machine float sort apart, with a
    // number between them, but print the same: cty keeps one.
    let set = Value::List(
        vec![
            Value::Number(n("0.1")),
            Value::Number(n("0.1000000000000000055")),
            Value::Number(f(0.1)),
            // Whole numbers are equal only when their values are.
            Value::Number(f(2f64.powi(100))),
            Value::Number(n("1267650600228229400000000000000")),
        ]
        .into(),
    )
    .into_set();
    assert_eq!(set.as_list().map(<[Value]>::len), Some(4));
    // The first given is kept.
    assert!(
        set.as_list()
            .unwrap()
            .iter()
            .any(|v| v.as_number().map(Number::precision) == Some(512) && v.to_string() == "0.1")
    );
}

#[test]
fn whole_numbers_print_as_the_general_algorithm_prints_them() {
    let cases = [
        n("0"),
        n("-7"),
        n("443"),
        n("123456789012345678901234567890"),
        Number::from_i64(i64::MIN),
        Number::from(u64::MAX),
        f(2f64.powi(60)),
        f(2f64.powi(52) + 1.0),
        f(1e300),
        n("1e20").add(&n("1")).unwrap(),
        Number::from_i64(1 << 40)
            .mul(&Number::from_i64(1 << 40))
            .unwrap(),
    ];
    for number in cases {
        assert_eq!(number.to_string(), number.text('f', None));
    }
}
