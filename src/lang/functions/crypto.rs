//! Hashes, UUIDs, bcrypt, RSA decryption and gzip: the functions whose
//! answers are digests or secrets. Each works on the string's UTF-8 bytes,
//! or on a file's raw bytes for the `file*` variants, as Terraform's do.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::{Args, FnError, base64_decode, base64_encode, read_bytes};
use crate::value::Value;

/// A digest algorithm, by the name its functions carry.
#[derive(Clone, Copy)]
pub(super) enum Algorithm {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    fn digest(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            Algorithm::Md5 => Md5::digest(bytes).to_vec(),
            Algorithm::Sha1 => Sha1::digest(bytes).to_vec(),
            Algorithm::Sha256 => Sha256::digest(bytes).to_vec(),
            Algorithm::Sha512 => Sha512::digest(bytes).to_vec(),
        }
    }
}

/// How a digest is written out.
#[derive(Clone, Copy)]
pub(super) enum Encoding {
    Hex,
    Base64,
}

fn encode(encoding: Encoding, digest: &[u8]) -> Value {
    Value::String(match encoding {
        Encoding::Hex => hex::encode(digest),
        Encoding::Base64 => base64_encode(digest),
    })
}

/// `md5(str)`, `sha256(str)`, `base64sha256(str)`, ...
pub(super) fn hash_string(
    args: &Args<'_>,
    algorithm: Algorithm,
    encoding: Encoding,
) -> Result<Value, FnError> {
    Ok(encode(
        encoding,
        &algorithm.digest(args.string(0)?.as_bytes()),
    ))
}

/// `filemd5(path)`, `filesha256(path)`, `filebase64sha256(path)`, ...
pub(super) fn hash_file(
    args: &Args<'_>,
    algorithm: Algorithm,
    encoding: Encoding,
) -> Result<Value, FnError> {
    Ok(encode(encoding, &algorithm.digest(&read_bytes(args)?)))
}

pub(super) fn filebase64(args: &Args<'_>) -> Result<Value, FnError> {
    Ok(Value::String(base64_encode(&read_bytes(args)?)))
}

/// `uuid()`: 16 random bytes written as a UUID. Like Terraform's (which uses
/// hashicorp/go-uuid), the version and variant bits are not set.
pub(super) fn uuid(args: &Args<'_>) -> Result<Value, FnError> {
    if args.ctx.clock.now.is_none() {
        // Impure: a new value on every call, so known only when applying.
        return Ok(Value::Unknown);
    }
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| FnError::call(format!("failed to read random bytes: {e}")))?;
    Ok(Value::String(
        uuid::Uuid::from_bytes(bytes).hyphenated().to_string(),
    ))
}

/// `uuidv5(namespace, name)`: the name-based UUID, with a namespace named
/// `dns`, `url`, `oid` or `x500`, or given as a UUID.
pub(super) fn uuidv5(args: &Args<'_>) -> Result<Value, FnError> {
    let namespace = args.string(0)?;
    let name = args.string(1)?;
    let namespace_id = match namespace.as_str() {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        other => uuid::Uuid::parse_str(other).map_err(|_| {
            FnError::call(format!(
                "uuidv5() doesn't support namespace {other} (invalid UUID length: {})",
                other.len()
            ))
        })?,
    };
    Ok(Value::String(
        uuid::Uuid::new_v5(&namespace_id, name.as_bytes())
            .hyphenated()
            .to_string(),
    ))
}

/// `bcrypt(str, cost)`: a `$2a$` hash with a fresh salt. As in Go's
/// bcrypt, a cost below 4 means the default, 10.
pub(super) fn bcrypt(args: &Args<'_>) -> Result<Value, FnError> {
    const DEFAULT_COST: i64 = 10;
    if args.ctx.clock.now.is_none() {
        // Impure: a fresh salt on every call, so known only when applying.
        return Ok(Value::Unknown);
    }
    let password = args.string(0)?;
    let mut cost = if args.len() > 1 {
        args.integer(1)?
    } else {
        DEFAULT_COST
    };
    if cost < 4 {
        cost = DEFAULT_COST;
    }
    if cost > 31 {
        return Err(FnError::call(format!(
            "error occurred generating password bcrypt: cost {cost} is outside allowed range (4,31)"
        )));
    }
    if password.len() > 72 {
        return Err(FnError::call(
            "error occurred generating password bcrypt: password length exceeds 72 bytes",
        ));
    }
    let hashed = ::bcrypt::hash_with_result(&password, cost as u32)
        .map_err(|e| FnError::call(format!("error occurred generating password {e}")))?;
    Ok(Value::String(
        hashed.format_for_version(::bcrypt::Version::TwoA),
    ))
}

/// `rsadecrypt(ciphertext, privatekey)`: PKCS #1 v1.5 decryption of
/// base64 ciphertext with a PEM key (PKCS #1 or PKCS #8).
pub(super) fn rsadecrypt(args: &Args<'_>) -> Result<Value, FnError> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let encoded = args.string(0)?;
    let ciphertext = base64_decode(&encoded).ok_or_else(|| {
        FnError::arg(
            0,
            format!("failed to decode input {encoded:?}: cipher text must be base64-encoded"),
        )
    })?;
    let pem = args.string(1)?;
    if !pem.contains("-----BEGIN") {
        return Err(FnError::arg(1, "invalid private key: ssh: no key found"));
    }
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(&pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(&pem))
        .map_err(|e| FnError::arg(1, format!("invalid private key: {e}")))?;
    let plain = key
        .decrypt(rsa::Pkcs1v15Encrypt, &ciphertext)
        .map_err(|_| FnError::call("failed to decrypt: crypto/rsa: decryption error"))?;
    String::from_utf8(plain)
        .map(Value::String)
        .map_err(|_| FnError::call("the decrypted text is not valid UTF-8"))
}

/// `base64gzip(str)`: the string gzipped, then base64, byte for byte as
/// Terraform writes it: Go's header (no name, time zero, unknown system),
/// Go's deflate at its default level, then Terraform's `Flush` (an empty
/// stored block) and `Close` (an empty final stored block).
pub(super) fn base64gzip(args: &Args<'_>) -> Result<Value, FnError> {
    let text = args.string(0)?;
    let data = text.as_bytes();
    let mut gzip = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    gzip.extend(super::go_deflate::deflate_and_sync_flush(data));
    gzip.extend([1, 0, 0, 0xff, 0xff]);
    let mut crc = flate2::Crc::new();
    crc.update(data);
    gzip.extend(crc.sum().to_le_bytes());
    gzip.extend((data.len() as u32).to_le_bytes());
    Ok(Value::String(base64_encode(&gzip)))
}
