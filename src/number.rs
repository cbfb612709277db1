//! Terraform's numbers: binary floating point of arbitrary precision, with
//! the rules of Go's `math/big.Float` as cty (Terraform's value system) uses
//! them, so that `1/3`, `0.1 + 0.2` or `length(x) / 3` print exactly as
//! Terraform prints them.
//!
//! Each number carries its own precision in bits: 512 for a literal or a
//! string converted to a number, 64 for a count or a length, 53 for what
//! `log` and `pow` compute in machine floats. An operation keeps the larger
//! precision of its operands and rounds to nearest, ties to even. Numbers
//! print as the shortest decimal that identifies them at their precision,
//! and two numbers are equal when they print the same (cty's rule).
//!
//! This module is pure arithmetic and text: it knows nothing of values,
//! expressions or functions, and does no I/O.

use std::cmp::Ordering;
use std::fmt;

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{ToPrimitive, Zero};

/// The precision of a number read from text (cty's `ParseNumberVal`).
pub const TEXT_PRECISION: u32 = 512;
/// The precision of an integer count, length or index (cty's `NumberIntVal`).
pub const INT_PRECISION: u32 = 64;
/// The precision of a machine float (cty's `NumberFloatVal`).
pub const FLOAT_PRECISION: u32 = 53;

/// The largest decimal exponent accepted in text: beyond it a number's
/// digits could take minutes to print. Go accepts more.
const MAX_DECIMAL_EXPONENT: i64 = 100_000;

/// Binary exponents beyond this overflow to infinity, and below its
/// negation underflow to zero, as Go's `big.Float` exponents do.
const MAX_EXPONENT: i64 = i32::MAX as i64;

/// A number. Boxed so that a [`crate::value::Value`] stays small.
#[derive(Clone)]
pub struct Number(Box<Float>);

#[derive(Clone, Debug)]
struct Float {
    negative: bool,
    form: Form,
    /// Bits of mantissa that operations on this number keep.
    precision: u32,
}

#[derive(Clone, Debug)]
enum Form {
    Zero,
    /// `mantissa × 2^exponent`, the mantissa odd.
    Finite {
        mantissa: BigUint,
        exponent: i64,
    },
    Infinite,
}

impl Form {
    /// A finite nonzero value's mantissa and exponent.
    fn parts(&self) -> Option<(&BigUint, i64)> {
        match self {
            Form::Finite { mantissa, exponent } => Some((mantissa, *exponent)),
            _ => None,
        }
    }
}

impl Float {
    fn of(negative: bool, form: Form, precision: u32) -> Float {
        Float {
            negative,
            form,
            precision,
        }
    }
}

/// An operation with no defined result (Go's `big.ErrNaN`): infinity minus
/// infinity, zero times infinity, zero over zero or infinity over infinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotANumber;

impl Number {
    pub fn zero() -> Number {
        Number::from_i64(0)
    }

    pub fn infinity(negative: bool) -> Number {
        Number::new(negative, Form::Infinite, INT_PRECISION)
    }

    fn new(negative: bool, form: Form, precision: u32) -> Number {
        Number(Box::new(Float::of(negative, form, precision)))
    }

    /// An integer, with 64 bits of precision.
    pub fn from_i64(n: i64) -> Number {
        Number::rounded(
            n < 0,
            BigUint::from(n.unsigned_abs()),
            0,
            false,
            INT_PRECISION,
        )
    }

    /// An integer of any size, with at least 64 bits of precision (Go's
    /// `SetInt`: as many as the integer has, so it is exact).
    pub fn from_bigint(n: &BigInt) -> Number {
        let precision = (n.bits() as u32).max(INT_PRECISION);
        Number::rounded(
            n.sign() == Sign::Minus,
            n.magnitude().clone(),
            0,
            false,
            precision,
        )
    }

    /// A machine float, with 53 bits of precision; `None` for NaN.
    pub fn from_f64(f: f64) -> Option<Number> {
        if f.is_nan() {
            return None;
        }
        let negative = f.is_sign_negative();
        if f.is_infinite() {
            return Some(Number::new(negative, Form::Infinite, FLOAT_PRECISION));
        }
        if f == 0.0 {
            return Some(Number::new(negative, Form::Zero, FLOAT_PRECISION));
        }
        let bits = f.abs().to_bits();
        let biased = (bits >> 52) as i64;
        let fraction = bits & ((1 << 52) - 1);
        let (mantissa, exponent) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1 << 52), biased - 1075)
        };
        Some(Number::rounded(
            negative,
            BigUint::from(mantissa),
            exponent,
            false,
            FLOAT_PRECISION,
        ))
    }

    /// Reads a decimal number as Go's `big.ParseFloat(text, 10, 512,
    /// ToNearestEven)` does, which is how Terraform converts a string or a
    /// literal: an optional sign, digits with an optional point, an
    /// optional exponent; or `Inf`/`inf` with an optional sign.
    pub fn parse(text: &str) -> Option<Number> {
        Number::parse_with_precision(text, TEXT_PRECISION)
    }

    fn parse_with_precision(text: &str, precision: u32) -> Option<Number> {
        let (negative, rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        if rest == "Inf" || rest == "inf" {
            return Some(Number::new(negative, Form::Infinite, precision));
        }
        let (digits_part, exponent_part) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        let (whole, fraction) = digits_part.split_once('.').unwrap_or((digits_part, ""));
        if whole.is_empty() && fraction.is_empty()
            || !whole
                .bytes()
                .chain(fraction.bytes())
                .all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut exponent10: i64 = match exponent_part {
            None => 0,
            Some(e) => {
                let unsigned = e.strip_prefix(['+', '-']).unwrap_or(e);
                if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let magnitude: i64 = unsigned.parse().unwrap_or(i64::MAX);
                if magnitude > MAX_DECIMAL_EXPONENT + (whole.len() + fraction.len()) as i64 {
                    return None;
                }
                if e.starts_with('-') {
                    -magnitude
                } else {
                    magnitude
                }
            }
        };
        exponent10 -= fraction.len() as i64;
        let digits: BigUint = format!("{whole}{fraction}").parse().ok()?;
        if digits.is_zero() {
            return Some(Number::new(negative, Form::Zero, precision));
        }
        if exponent10.abs() > MAX_DECIMAL_EXPONENT + 200 {
            return None;
        }
        // As Go does: all the digits times 2^e10, then times or over 5^|e10|
        // computed with 64 bits more, rounded once.
        if exponent10 == 0 {
            return Some(Number::rounded(negative, digits, 0, false, precision));
        }
        let scaled = round(negative, digits, exponent10, false, u32::MAX);
        let power = pow5(exponent10.unsigned_abs(), precision + 64);
        let result = if exponent10 < 0 {
            quotient(&scaled, &power, precision)
        } else {
            product(&scaled, &power, precision)
        };
        Some(Number(Box::new(result)))
    }

    /// Rounds `mantissa × 2^exponent`, plus less than one unit of its last
    /// bit more when `sticky`, to `precision` bits: nearest, ties to even.
    fn rounded(
        negative: bool,
        mantissa: BigUint,
        exponent: i64,
        sticky: bool,
        precision: u32,
    ) -> Number {
        Number(Box::new(round(
            negative, mantissa, exponent, sticky, precision,
        )))
    }

    pub fn precision(&self) -> u32 {
        self.0.precision
    }

    pub fn is_negative(&self) -> bool {
        self.0.negative
    }

    pub fn is_zero(&self) -> bool {
        matches!(self.0.form, Form::Zero)
    }

    pub fn is_infinite(&self) -> bool {
        matches!(self.0.form, Form::Infinite)
    }

    /// Whether the number is a whole number (infinity is not).
    pub fn is_integer(&self) -> bool {
        match &self.0.form {
            Form::Zero => true,
            Form::Finite { exponent, .. } => *exponent >= 0,
            Form::Infinite => false,
        }
    }

    /// The whole part, toward zero, and whether that dropped a fraction;
    /// `None` for infinity (Go's `Float.Int`).
    pub fn truncate(&self) -> Option<(BigInt, bool)> {
        let (magnitude, inexact) = match &self.0.form {
            Form::Zero => (BigUint::zero(), false),
            Form::Infinite => return None,
            Form::Finite { mantissa, exponent } if *exponent >= 0 => {
                (mantissa << (*exponent as u64), false)
            }
            Form::Finite { mantissa, exponent } => {
                let shift = exponent.unsigned_abs();
                (mantissa >> shift, true)
            }
        };
        let sign = if self.0.negative {
            Sign::Minus
        } else {
            Sign::Plus
        };
        Some((BigInt::from_biguint(sign, magnitude), inexact))
    }

    /// The number as an `i64` when it is a whole number in range.
    pub fn to_i64(&self) -> Option<i64> {
        // Out of range, without building the integer (which may be huge).
        if let Some((mantissa, exponent)) = self.0.form.parts()
            && exponent + mantissa.bits() as i64 > 64
        {
            return None;
        }
        match self.truncate()? {
            (whole, false) => whole.to_i64(),
            _ => None,
        }
    }

    /// A whole, non-negative number as an index or count (`-0` is 0).
    pub fn to_index(&self) -> Option<usize> {
        self.to_i64().and_then(|i| usize::try_from(i).ok())
    }

    /// The nearest machine float (infinite beyond its range), rounded once,
    /// to nearest, ties to even, subnormals included.
    pub fn to_f64(&self) -> f64 {
        let sign = if self.0.negative { -1.0 } else { 1.0 };
        let Some((mantissa, exponent)) = self.0.form.parts() else {
            return match self.0.form {
                Form::Infinite => sign * f64::INFINITY,
                _ => sign * 0.0,
            };
        };
        let top = exponent + mantissa.bits() as i64;
        if top > 1024 {
            return sign * f64::INFINITY;
        }
        // The last bit a float keeps: 53 bits below the top, or 2^-1074.
        let lowest = (top - 53).max(-1074);
        let kept = if exponent >= lowest {
            mantissa << (exponent - lowest) as u64
        } else {
            let shift = (lowest - exponent) as u64;
            if shift > mantissa.bits() + 1 {
                BigUint::zero()
            } else {
                let half = mantissa.bit(shift - 1);
                let below = mantissa.trailing_zeros().unwrap_or(0) < shift - 1;
                let kept = mantissa >> shift;
                let up = half && (below || kept.bit(0));
                kept + u32::from(up)
            }
        };
        // At most 2^53, so exact as a float; times a power of two that is
        // one too, the product rounds only when it overflows.
        let kept = kept.to_u64().unwrap_or(u64::MAX) as f64;
        let scale = if lowest >= -1022 {
            f64::from_bits(((lowest + 1023) as u64) << 52)
        } else {
            f64::from_bits(1u64 << (lowest + 1074))
        };
        sign * kept * scale
    }

    /// The same value rounded to another precision (Go's `SetPrec`).
    pub fn with_precision(&self, precision: u32) -> Number {
        match &self.0.form {
            Form::Finite { mantissa, exponent } => Number::rounded(
                self.0.negative,
                mantissa.clone(),
                *exponent,
                false,
                precision,
            ),
            form => Number::new(self.0.negative, form.clone(), precision),
        }
    }

    /// The fewest bits that hold the value exactly (Go's `MinPrec`).
    fn min_precision(&self) -> u32 {
        match &self.0.form {
            Form::Finite { mantissa, .. } => mantissa.bits() as u32,
            _ => 0,
        }
    }

    pub fn neg(&self) -> Number {
        let mut out = self.clone();
        out.0.negative = !out.0.negative;
        out
    }

    /// The magnitude, at the same precision.
    pub fn abs(&self) -> Number {
        let mut out = self.clone();
        out.0.negative = false;
        out
    }

    /// `self + other` (cty's `Add`): infinities of opposite signs have no sum.
    pub fn add(&self, other: &Number) -> Result<Number, NotANumber> {
        let precision = self.precision().max(other.precision());
        sum(&self.0, &other.0, false, precision).map(|f| Number(Box::new(f)))
    }

    /// `self - other` (cty's `Subtract`).
    pub fn sub(&self, other: &Number) -> Result<Number, NotANumber> {
        let precision = self.precision().max(other.precision());
        sum(&self.0, &other.0, true, precision).map(|f| Number(Box::new(f)))
    }

    /// `self * other` as cty multiplies: at 512 bits, then kept at the
    /// larger precision of the operands, or more if the product needs it.
    pub fn mul(&self, other: &Number) -> Result<Number, NotANumber> {
        if self.is_infinite() && other.is_zero() || self.is_zero() && other.is_infinite() {
            return Err(NotANumber);
        }
        let product = Number(Box::new(product(&self.0, &other.0, 512)));
        let precision = self
            .precision()
            .max(other.precision())
            .max(product.min_precision());
        Ok(product.with_precision(precision))
    }

    /// `self / other` (cty's `Divide`): a number over zero is infinite.
    pub fn div(&self, other: &Number) -> Result<Number, NotANumber> {
        let precision = self.precision().max(other.precision());
        let zeros = self.is_zero() && other.is_zero();
        let infinities = self.is_infinite() && other.is_infinite();
        if zeros || infinities {
            return Err(NotANumber);
        }
        Ok(Number(Box::new(quotient(&self.0, &other.0, precision))))
    }

    /// `self % other` as cty computes it: `self - other × trunc(self/other)`,
    /// with `x % 0` being `x`. `None` where Terraform itself fails with an
    /// internal error (an infinite left operand).
    pub fn rem(&self, other: &Number) -> Option<Result<Number, NotANumber>> {
        if other.is_zero() {
            return Some(Ok(self.clone()));
        }
        let ratio = match self.div(other) {
            Ok(ratio) => ratio,
            Err(nan) => return Some(Err(nan)),
        };
        let (whole, _) = ratio.truncate()?;
        let precision = self.precision();
        let whole = Number::from_bigint(&whole).with_precision(precision);
        if other.is_infinite() && whole.is_zero() {
            return Some(Err(NotANumber));
        }
        let product = Number(Box::new(product(&other.0, &whole.0, precision)));
        Some(sum(&self.0, &product.0, true, precision).map(|f| Number(Box::new(f))))
    }

    /// `floor` as cty computes it: the same precision, infinity unchanged.
    pub fn floor(&self) -> Number {
        self.whole(|n, inexact| n.is_negative() && inexact, -1)
    }

    /// `ceil` as cty computes it.
    pub fn ceil(&self) -> Number {
        self.whole(|n, inexact| !n.is_negative() && inexact, 1)
    }

    fn whole(&self, adjust: impl Fn(&Number, bool) -> bool, step: i64) -> Number {
        let Some((mut whole, inexact)) = self.truncate() else {
            return self.clone();
        };
        if adjust(self, inexact) {
            whole += step;
        }
        // Go's SetInt keeps the receiver's precision; the sign of a zero
        // result is lost, as there.
        let value = Number::from_bigint(&whole);
        value.with_precision(self.precision())
    }

    /// Prints the number as Go's `Float.Text(format, precision)` does, for
    /// the formats `e`, `E`, `f`, `g` and `G`; `None` as the precision is
    /// Go's `-1`: the fewest digits that identify the number.
    pub fn text(&self, format: char, precision: Option<usize>) -> String {
        let mut out = String::new();
        if self.0.negative {
            out.push('-');
        }
        if self.is_infinite() {
            if !self.0.negative {
                out.push('+');
            }
            out.push_str("Inf");
            return out;
        }
        let mut digits = match &self.0.form {
            Form::Finite { mantissa, exponent } => Decimal::exact(mantissa, *exponent),
            _ => Decimal::default(),
        };
        let shortest = precision.is_none();
        let mut precision = match precision {
            Some(p) => {
                match format {
                    'e' | 'E' => digits.round(1 + p as i64),
                    'f' => digits.round(digits.point + p as i64),
                    _ => digits.round(p.max(1) as i64),
                }
                p.max(if matches!(format, 'g' | 'G') { 1 } else { 0 }) as i64
            }
            None => {
                if let Form::Finite { mantissa, exponent } = &self.0.form {
                    digits.round_shortest(mantissa, *exponent, self.precision());
                }
                let count = digits.digits.len() as i64;
                match format {
                    'e' | 'E' => count - 1,
                    'f' => (count - digits.point).max(0),
                    _ => count,
                }
            }
        };
        match format {
            'e' | 'E' => digits.write_exponent(&mut out, format, precision),
            'f' => digits.write_fixed(&mut out, precision),
            _ => {
                let count = digits.digits.len() as i64;
                let mut limit = precision;
                if limit > count && count >= digits.point {
                    limit = count;
                }
                if shortest {
                    limit = 6;
                }
                let exponent = digits.point - 1;
                let small_e = if format == 'g' { 'e' } else { 'E' };
                if exponent < -4 || exponent >= limit {
                    if precision > count {
                        precision = count;
                    }
                    digits.write_exponent(&mut out, small_e, precision - 1);
                } else {
                    if precision > digits.point {
                        precision = count;
                    }
                    digits.write_fixed(&mut out, (precision - digits.point).max(0));
                }
            }
        }
        out
    }

    /// The exact comparison of two numbers (Go's `Cmp`; `-0` equals `0`).
    pub fn compare(&self, other: &Number) -> Ordering {
        let sign = |n: &Number| match n.0.form {
            Form::Zero => 0,
            _ if n.0.negative => -1,
            _ => 1,
        };
        let (a, b) = (sign(self), sign(other));
        if a != b || a == 0 {
            return a.cmp(&b);
        }
        let magnitude = match (&self.0.form, &other.0.form) {
            (Form::Infinite, Form::Infinite) => Ordering::Equal,
            (Form::Infinite, _) => Ordering::Greater,
            (_, Form::Infinite) => Ordering::Less,
            (a_form, b_form) => match (a_form.parts(), b_form.parts()) {
                (Some((ma, ea)), Some((mb, eb))) => {
                    let top_a = ea + ma.bits() as i64;
                    let top_b = eb + mb.bits() as i64;
                    if top_a != top_b {
                        top_a.cmp(&top_b)
                    } else if ea >= eb {
                        (ma << (ea - eb) as u64).cmp(mb)
                    } else {
                        ma.cmp(&(mb << (eb - ea) as u64))
                    }
                }
                _ => Ordering::Equal,
            },
        };
        if a < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

/// Equal as cty compares numbers: whole numbers by value, others when they
/// print the same; `-0` equals `0`.
impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        let sign = |n: &Number| !n.is_zero() && n.is_negative();
        if sign(self) != sign(other) {
            return false;
        }
        match (self.is_integer(), other.is_integer()) {
            (true, true) => self.compare(other) == Ordering::Equal,
            (false, false) => {
                self.is_infinite() == other.is_infinite() && self.to_string() == other.to_string()
            }
            _ => false,
        }
    }
}

/// The shortest text that identifies the number at its precision, with no
/// exponent: Terraform's form for JSON, strings and plans (`+Inf`/`-Inf`).
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A whole number its precision holds exactly prints every digit:
        // any shorter decimal is at least 1 away, outside its half unit.
        // Most numbers are such (counts, ports, sizes); this skips the
        // general algorithm's decimal bounds for them.
        if let Some((mantissa, exponent)) = self.0.form.parts()
            && exponent >= 0
            && exponent + mantissa.bits() as i64 <= i64::from(self.precision())
        {
            let sign = if self.0.negative { "-" } else { "" };
            return write!(f, "{sign}{}", mantissa << exponent as u64);
        }
        f.write_str(&self.text('f', None))
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Number {
        Number::from_i64(n)
    }
}

impl From<i32> for Number {
    fn from(n: i32) -> Number {
        Number::from_i64(n.into())
    }
}

impl From<usize> for Number {
    fn from(n: usize) -> Number {
        Number::from_bigint(&BigInt::from(n))
    }
}

impl From<u64> for Number {
    fn from(n: u64) -> Number {
        Number::from_bigint(&BigInt::from(n))
    }
}

fn round(negative: bool, mantissa: BigUint, exponent: i64, sticky: bool, precision: u32) -> Float {
    if mantissa.is_zero() {
        return Float::of(negative, Form::Zero, precision);
    }
    let (mut mantissa, mut exponent) = (mantissa, exponent);
    let bits = mantissa.bits();
    if bits > u64::from(precision.max(1)) {
        let shift = bits - u64::from(precision.max(1));
        let half = mantissa.bit(shift - 1);
        let below_half = sticky || mantissa.trailing_zeros().unwrap_or(0) < shift - 1;
        mantissa >>= shift;
        exponent += shift as i64;
        if half && (below_half || mantissa.bit(0)) {
            mantissa += 1u32;
        }
    }
    let zeros = mantissa.trailing_zeros().unwrap_or(0);
    mantissa >>= zeros;
    exponent += zeros as i64;
    let top = exponent + mantissa.bits() as i64;
    let form = if top > MAX_EXPONENT {
        Form::Infinite
    } else if top < -MAX_EXPONENT {
        Form::Zero
    } else {
        Form::Finite { mantissa, exponent }
    };
    Float::of(negative, form, precision)
}

/// `a + b` (or `a - b`), rounded to `precision`.
fn sum(a: &Float, b: &Float, subtract: bool, precision: u32) -> Result<Float, NotANumber> {
    let b_negative = b.negative != subtract;
    match (&a.form, &b.form) {
        (Form::Infinite, Form::Infinite) if a.negative != b_negative => Err(NotANumber),
        (Form::Infinite, _) => Ok(Float::of(a.negative, Form::Infinite, precision)),
        (_, Form::Infinite) => Ok(Float::of(b_negative, Form::Infinite, precision)),
        // Go: -0 + -0 is -0; any other sum of zeros is +0.
        (Form::Zero, Form::Zero) => Ok(Float::of(a.negative && b_negative, Form::Zero, precision)),
        (Form::Zero, Form::Finite { mantissa, exponent }) => Ok(round(
            b_negative,
            mantissa.clone(),
            *exponent,
            false,
            precision,
        )),
        (Form::Finite { mantissa, exponent }, Form::Zero) => Ok(round(
            a.negative,
            mantissa.clone(),
            *exponent,
            false,
            precision,
        )),
        (
            Form::Finite {
                mantissa: ma,
                exponent: ea,
            },
            Form::Finite {
                mantissa: mb,
                exponent: eb,
            },
        ) => {
            // A far smaller operand only decides the rounding direction:
            // stand it in with one bit well below the larger one's last.
            let (ma, ea, mb, eb) = squeeze(ma, *ea, mb, *eb, precision);
            let low = ea.min(eb);
            let x = BigInt::from_biguint(
                if a.negative { Sign::Minus } else { Sign::Plus },
                ma << (ea - low) as u64,
            );
            let y = BigInt::from_biguint(
                if b_negative { Sign::Minus } else { Sign::Plus },
                mb << (eb - low) as u64,
            );
            let total = x + y;
            Ok(round(
                total.sign() == Sign::Minus,
                total.magnitude().clone(),
                low,
                false,
                precision,
            ))
        }
    }
}

/// Two finite operands of a sum, the smaller replaced by a single bit
/// far below the larger when aligning them exactly would take more bits
/// than the result can use.
fn squeeze(
    ma: &BigUint,
    ea: i64,
    mb: &BigUint,
    eb: i64,
    precision: u32,
) -> (BigUint, i64, BigUint, i64) {
    let top_a = ea + ma.bits() as i64;
    let top_b = eb + mb.bits() as i64;
    let floor = |top: i64, low: i64| low.min(top - i64::from(precision)) - 3;
    if top_b < floor(top_a, ea) {
        (ma.clone(), ea, BigUint::from(1u32), floor(top_a, ea))
    } else if top_a < floor(top_b, eb) {
        (BigUint::from(1u32), floor(top_b, eb), mb.clone(), eb)
    } else {
        (ma.clone(), ea, mb.clone(), eb)
    }
}

/// `a × b`, rounded to `precision` (Go's `Mul`; callers handle 0 × ∞).
fn product(a: &Float, b: &Float, precision: u32) -> Float {
    let negative = a.negative != b.negative;
    if matches!(a.form, Form::Infinite) || matches!(b.form, Form::Infinite) {
        return Float::of(negative, Form::Infinite, precision);
    }
    match (a.form.parts(), b.form.parts()) {
        (Some((ma, ea)), Some((mb, eb))) => round(negative, ma * mb, ea + eb, false, precision),
        _ => Float::of(negative, Form::Zero, precision),
    }
}

/// `a / b`, rounded to `precision` (Go's `Quo`; callers handle 0/0, ∞/∞).
fn quotient(a: &Float, b: &Float, precision: u32) -> Float {
    let negative = a.negative != b.negative;
    if matches!(a.form, Form::Infinite) || matches!(b.form, Form::Zero) {
        return Float::of(negative, Form::Infinite, precision);
    }
    match (a.form.parts(), b.form.parts()) {
        (Some((ma, ea)), Some((mb, eb))) => {
            // Enough quotient bits to round correctly, the rest as sticky.
            let shift = (i64::from(precision) + 2 + mb.bits() as i64 - ma.bits() as i64).max(0);
            let (q, r) = (ma << shift as u64).div_rem(mb);
            round(negative, q, ea - eb - shift, !r.is_zero(), precision)
        }
        _ => Float::of(negative, Form::Zero, precision),
    }
}

/// 5^n at `precision` bits, computed as Go's `big.Float.pow5` does (by
/// squaring, 64 bits more for the squares), so that rounding agrees.
fn pow5(n: u64, precision: u32) -> Float {
    const EXACT: u64 = 27; // 5^27 fits in 64 bits
    let exact = |k: u64, p: u32| round(false, BigUint::from(5u32).pow(k as u32), 0, false, p);
    if n <= EXACT {
        return exact(n, precision);
    }
    let mut z = exact(EXACT, precision);
    let mut remaining = n - EXACT;
    let mut factor = exact(1, precision + 64);
    while remaining > 0 {
        if remaining & 1 != 0 {
            z = product(&z, &factor, precision);
        }
        factor = product(&factor, &factor, precision + 64);
        remaining >>= 1;
    }
    z
}

/// A decimal number `0.d₁d₂…dₙ × 10^point` with no trailing zero digits:
/// Go's `big` package's `decimal`, used to print numbers.
#[derive(Default)]
struct Decimal {
    digits: Vec<u8>,
    point: i64,
}

impl Decimal {
    /// The exact decimal form of `mantissa × 2^exponent`.
    fn exact(mantissa: &BigUint, exponent: i64) -> Decimal {
        let (integer, shift) = if exponent >= 0 {
            (mantissa << exponent as u64, 0)
        } else {
            let places = exponent.unsigned_abs();
            (
                mantissa * BigUint::from(5u32).pow(places as u32),
                places as i64,
            )
        };
        let mut digits = integer.to_string().into_bytes();
        let point = digits.len() as i64 - shift;
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        Decimal { digits, point }
    }

    fn at(&self, i: i64) -> u8 {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.digits.get(i).copied())
            .unwrap_or(b'0')
    }

    /// Rounds to `n` digits, to nearest, ties to even.
    fn round(&mut self, n: i64) {
        if n < 0 || n as usize >= self.digits.len() {
            return;
        }
        let n = n as usize;
        let up = if self.digits[n] == b'5' && n + 1 == self.digits.len() {
            n > 0 && (self.digits[n - 1] - b'0') % 2 == 1
        } else {
            self.digits[n] >= b'5'
        };
        if up {
            self.round_up(n);
        } else {
            self.round_down(n);
        }
    }

    fn round_up(&mut self, n: usize) {
        if n >= self.digits.len() {
            return;
        }
        let mut n = n;
        while n > 0 && self.digits[n - 1] >= b'9' {
            n -= 1;
        }
        if n == 0 {
            self.digits = vec![b'1'];
            self.point += 1;
            return;
        }
        self.digits[n - 1] += 1;
        self.digits.truncate(n);
    }

    fn round_down(&mut self, n: usize) {
        if n >= self.digits.len() {
            return;
        }
        self.digits.truncate(n);
        while self.digits.last() == Some(&b'0') {
            self.digits.pop();
        }
        if self.digits.is_empty() {
            self.point = 0;
        }
    }

    /// Keeps the fewest digits that still read back as the same number
    /// at `precision` bits (Go's `roundShortest`).
    fn round_shortest(&mut self, mantissa: &BigUint, exponent: i64, precision: u32) {
        if self.digits.is_empty() {
            return;
        }
        // A mantissa of precision + 1 bits whose last bit is half a unit.
        let shift = mantissa.bits() as i64 - (i64::from(precision) + 1);
        let (mant, exp) = if shift < 0 {
            (mantissa << shift.unsigned_abs(), exponent + shift)
        } else {
            (mantissa >> shift as u64, exponent + shift)
        };
        let lower = Decimal::exact(&(&mant - 1u32), exp);
        let upper = Decimal::exact(&(&mant + 1u32), exp);
        // The bounds round to this number only if its mantissa is even.
        let inclusive = !mant.bit(1);
        for i in 0..self.digits.len() {
            let m = self.digits[i];
            let l = lower.at(i as i64);
            let u = upper.at(i as i64);
            let ok_down = l != m || inclusive && i + 1 == lower.digits.len();
            let ok_up = m != u && (inclusive || m + 1 < u || i + 1 < upper.digits.len());
            match (ok_down, ok_up) {
                (true, true) => return self.round(i as i64 + 1),
                (true, false) => return self.round_down(i + 1),
                (false, true) => return self.round_up(i + 1),
                _ => {}
            }
        }
    }

    /// `d.ddde±dd`, `precision` digits after the point.
    fn write_exponent(&self, out: &mut String, letter: char, precision: i64) {
        out.push(self.digits.first().map_or('0', |&d| d as char));
        if precision > 0 {
            out.push('.');
            for i in 1..=precision {
                out.push(self.at(i) as char);
            }
        }
        out.push(letter);
        let exponent = if self.digits.is_empty() {
            0
        } else {
            self.point - 1
        };
        out.push(if exponent < 0 { '-' } else { '+' });
        if exponent.abs() < 10 {
            out.push('0');
        }
        out.push_str(&exponent.abs().to_string());
    }

    /// `ddd.ddd`, `precision` digits after the point.
    fn write_fixed(&self, out: &mut String, precision: i64) {
        if self.point > 0 {
            for i in 0..self.point {
                out.push(self.at(i) as char);
            }
        } else {
            out.push('0');
        }
        if precision > 0 {
            out.push('.');
            for i in 0..precision {
                out.push(self.at(self.point + i) as char);
            }
        }
    }
}

#[cfg(test)]
mod tests;
