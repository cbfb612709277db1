//! `terrane init` installs the modules a stack calls from the module
//! registry and from git, where `terraform init` puts them:
//! `.terraform/modules/<key>`, listed in `.terraform/modules/modules.json`
//! (key: the call names from the root, joined by `.`). A module already
//! listed with the same source is kept. `ops::modules` reads the result.
//!
//! Sources: registry addresses (`ns/name/provider`, or `host/ns/name/
//! provider`, with a `version` constraint: the newest matching version is
//! chosen through the registry's `modules.v1` API), and `git::<url>` (with
//! `?ref=`) or `github.com/...`, cloned with the `git` program as Terraform
//! does; and `.tar.gz` archives over HTTPS (`https://…/net.tar.gz`, or a
//! registry download that points at one). A `//subdir` after any of them
//! selects a directory inside. Zip archives are not supported yet. The
//! registry is reached over
//! HTTPS; plain HTTP only for a registry on this machine (`localhost`,
//! `127.0.0.1`), as tests run one. Never prints.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};

use super::modules::{MODULES_MANIFEST, is_local_source};
use super::{Report, read_stack_files};
use crate::diag::{Diagnostic, Sources};
use crate::lang::version::{Constraint, Version};

/// The public registry, for addresses without a host.
const DEFAULT_REGISTRY: &str = "registry.terraform.io";

/// A module `terrane init` installed or found installed.
#[derive(Debug)]
pub struct InstalledModule {
    /// `vpc`, `eks.node_group`.
    pub key: String,
    pub source: String,
    pub version: Option<String>,
    /// Found installed with the same source, not fetched again.
    pub kept: bool,
}

/// One module in `.terraform/modules/modules.json`, in Terraform's format.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(super) struct ManifestEntry {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Source", default)]
    pub source: String,
    #[serde(rename = "Version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Relative to the stack directory.
    #[serde(rename = "Dir")]
    pub dir: String,
}

#[derive(Serialize, Deserialize, Default)]
pub(super) struct Manifest {
    #[serde(rename = "Modules", default)]
    pub modules: Vec<ManifestEntry>,
}

/// The stack's module manifest, if it has a readable one.
pub(super) fn read_manifest(root: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(root.join(MODULES_MANIFEST)).ok()?;
    serde_json::from_str(&text).ok()
}

fn failure(summary: String) -> Report {
    Report::error(Diagnostic::error(summary))
}

/// Installs every remote module the stack in `root` calls, its modules'
/// calls included, and writes the manifest.
pub async fn install(root: &Path) -> Result<Vec<InstalledModule>, Report> {
    let manifest_path = root.join(MODULES_MANIFEST);
    let previous: BTreeMap<String, ManifestEntry> = read_manifest(root)
        .map(|m| m.modules.into_iter().map(|e| (e.key.clone(), e)).collect())
        .unwrap_or_default();
    let mut entries = vec![ManifestEntry {
        key: String::new(),
        source: String::new(),
        version: None,
        dir: ".".into(),
    }];
    let mut installed = Vec::new();
    let mut http = None;
    // (key prefix, module directory) to look for calls in.
    let mut queue: VecDeque<(Vec<String>, PathBuf)> =
        VecDeque::from([(Vec::new(), root.to_path_buf())]);
    while let Some((prefix, dir)) = queue.pop_front() {
        let files = read_stack_files(&dir)?;
        let (config, _) = crate::lang::load::load_module(
            &mut Sources::default(),
            dir.clone(),
            files,
            prefix.is_empty(),
        );
        for call in &config.calls {
            let mut key_parts = prefix.clone();
            key_parts.push(call.name.clone());
            let key = key_parts.join(".");
            if is_local_source(&call.source) {
                queue.push_back((key_parts, dir.join(&call.source)));
                continue;
            }
            let kept = previous
                .get(&key)
                .filter(|e| e.source == call.source && root.join(&e.dir).is_dir())
                .filter(|e| match (&call.version, &e.version) {
                    (Some(wanted), Some(have)) => matches(wanted, have),
                    (Some(_), None) => false,
                    (None, _) => true,
                });
            let entry = match kept {
                Some(entry) => entry.clone(),
                None => {
                    if http.is_none() {
                        http = Some(http_client()?);
                    }
                    let client = http.as_ref().expect("just set");
                    fetch(root, &key, &call.source, call.version.as_deref(), client).await?
                }
            };
            installed.push(InstalledModule {
                key: key.clone(),
                source: call.source.clone(),
                version: entry.version.clone(),
                kept: kept.is_some(),
            });
            queue.push_back((key_parts, root.join(&entry.dir)));
            entries.push(entry);
        }
    }
    if installed.is_empty() && previous.is_empty() {
        return Ok(installed); // no remote modules: nothing to record
    }
    let text = serde_json::to_string_pretty(&Manifest { modules: entries }).expect("serialises");
    if let Some(parent) = manifest_path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| failure(format!("Cannot create {}: {e}", parent.display())))?;
    }
    std::fs::write(&manifest_path, text)
        .map_err(|e| failure(format!("Cannot write {}: {e}", manifest_path.display())))?;
    Ok(installed)
}

fn matches(constraint: &str, version: &str) -> bool {
    match (Constraint::parse(constraint), Version::parse(version)) {
        (Some(constraint), Some((version, _))) => constraint.matches(&version),
        _ => false,
    }
}

/// Where a source says the module is.
enum Location {
    Git {
        url: String,
        reference: Option<String>,
    },
    Registry {
        host: String,
        path: String,
    },
    /// A `.tar.gz` archive over HTTP(S).
    Archive {
        url: String,
    },
}

/// Splits `source` into where to fetch from and the `//subdir` inside it.
fn parse_source(source: &str) -> Result<(Location, Option<String>), Report> {
    let (address, query) = match source.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (source, None),
    };
    let git = address
        .strip_prefix("git::")
        .map(str::to_string)
        .or_else(|| {
            address
                .starts_with("github.com/")
                .then(|| format!("https://{address}"))
        });
    // `//subdir`, after the scheme's own `//`.
    let split_subdir = |text: &str| -> (String, Option<String>) {
        let after_scheme = text.find("://").map_or(0, |i| i + 3);
        match text[after_scheme..].find("//") {
            Some(i) => (
                text[..after_scheme + i].to_string(),
                Some(text[after_scheme + i + 2..].to_string()),
            ),
            None => (text.to_string(), None),
        }
    };
    if let Some(url) = git {
        let (url, subdir) = split_subdir(&url);
        let reference = query.and_then(|q| {
            q.split('&')
                .find_map(|pair| pair.strip_prefix("ref=").map(str::to_string))
        });
        return Ok((Location::Git { url, reference }, subdir));
    }
    let plain = address.strip_prefix("http::").unwrap_or(address);
    if plain.starts_with("https://") || plain.starts_with("http://") {
        let (url, subdir) = split_subdir(plain);
        let tar_gz = url.ends_with(".tar.gz")
            || url.ends_with(".tgz")
            || query.is_some_and(|q| {
                q.split('&')
                    .any(|p| p == "archive=tar.gz" || p == "archive=tgz")
            });
        if !tar_gz {
            return Err(failure(format!(
                "Module source {source:?} is not a .tar.gz archive; terrane init fetches .tar.gz archives, registry modules and git sources"
            )));
        }
        let url = match query {
            Some(query) => format!("{url}?{query}"),
            None => url,
        };
        return Ok((Location::Archive { url }, subdir));
    }
    if address.contains("::") || address.contains("://") {
        return Err(failure(format!(
            "Module source {source:?} is not supported by terrane init yet"
        )));
    }
    let (address, subdir) = split_subdir(address);
    let parts: Vec<&str> = address.split('/').collect();
    let (host, path) = match parts.as_slice() {
        [ns, name, provider] => (
            DEFAULT_REGISTRY.to_string(),
            format!("{ns}/{name}/{provider}"),
        ),
        [host, ns, name, provider] => (host.to_string(), format!("{ns}/{name}/{provider}")),
        _ => {
            return Err(failure(format!(
                "Module source {source:?} is neither a local path, a registry address nor a git source"
            )));
        }
    };
    Ok((Location::Registry { host, path }, subdir))
}

type HttpClient = Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Empty<Bytes>,
>;

/// An HTTP(S) client trusting the system's certificate authorities, with
/// the same TLS library the AWS SDK uses.
fn http_client() -> Result<HttpClient, Report> {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|e| {
            failure(format!(
                "Cannot load the system's certificate authorities: {e}"
            ))
        })?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

/// GETs `url`: the status, one header's value, and the body.
async fn get(
    client: &HttpClient,
    url: &str,
    header: &str,
) -> Result<(u16, Option<String>, Bytes), Report> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| failure(format!("Invalid registry URL {url}: {e}")))?;
    let answer = client
        .get(uri)
        .await
        .map_err(|e| failure(format!("Cannot reach {url}: {e}")))?;
    let status = answer.status().as_u16();
    let value = answer
        .headers()
        .get(header)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = answer
        .into_body()
        .collect()
        .await
        .map_err(|e| failure(format!("Reading {url} failed: {e}")))?
        .to_bytes();
    Ok((status, value, body))
}

/// Fetches one module into `.terraform/modules/<key>`.
async fn fetch(
    root: &Path,
    key: &str,
    source: &str,
    version: Option<&str>,
    client: &HttpClient,
) -> Result<ManifestEntry, Report> {
    let (location, subdir) = parse_source(source)?;
    let (git_source, chosen) = match location {
        Location::Git { url, reference } => (format_git(&url, reference.as_deref()), None),
        Location::Archive { url } => (url, None),
        Location::Registry { host, path } => {
            let (download, chosen) =
                registry_download(client, &host, &path, source, version).await?;
            (download, Some(chosen))
        }
    };
    let (location, inner) = parse_source(&git_source)?;
    let relative = Path::new(".terraform/modules").join(key);
    let dest = root.join(&relative);
    if dest.exists() {
        std::fs::remove_dir_all(&dest)
            .map_err(|e| failure(format!("Cannot replace {}: {e}", dest.display())))?;
    }
    let (url, reference) = match location {
        Location::Git { url, reference } => (url, reference),
        Location::Archive { url } => {
            download_archive(client, &url, &dest).await?;
            let subdirs = inner.iter().chain(&subdir);
            return Ok(entry(key, source, chosen, relative, subdirs));
        }
        Location::Registry { .. } => {
            return Err(failure(format!(
                "The registry's download for {source:?} is another registry address, {git_source:?}"
            )));
        }
    };
    let mut clone = Command::new("git");
    clone.args(["clone", "--quiet", "--depth", "1"]);
    if let Some(reference) = &reference {
        clone.args(["--branch", reference]);
    }
    let output = clone
        .arg(&url)
        .arg(&dest)
        .output()
        .map_err(|e| failure(format!("Cannot run git to fetch {source:?}: {e}")))?;
    if !output.status.success() {
        return Err(failure(format!(
            "git could not fetch {url}{} for module {key:?}: {}",
            reference.map(|r| format!(" at {r}")).unwrap_or_default(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(entry(
        key,
        source,
        chosen,
        relative,
        inner.iter().chain(&subdir),
    ))
}

/// The manifest entry of a module fetched into `relative`, at the
/// `//subdir`s its source named.
fn entry<'s>(
    key: &str,
    source: &str,
    version: Option<String>,
    relative: PathBuf,
    subdirs: impl Iterator<Item = &'s String>,
) -> ManifestEntry {
    let dir = subdirs.fold(relative, |dir, sub| dir.join(sub));
    ManifestEntry {
        key: key.to_string(),
        source: source.to_string(),
        version,
        dir: dir.display().to_string(),
    }
}

/// Downloads a `.tar.gz` archive and unpacks it into `dest`. Entries that
/// would land outside `dest` are refused by the tar crate's `unpack_in`.
async fn download_archive(client: &HttpClient, url: &str, dest: &Path) -> Result<(), Report> {
    let (status, _, body) = get(client, url, "").await?;
    if status != 200 {
        return Err(failure(format!(
            "Downloading {url} failed with status {status}"
        )));
    }
    std::fs::create_dir_all(dest)
        .map_err(|e| failure(format!("Cannot create {}: {e}", dest.display())))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&body[..]));
    let entries = archive
        .entries()
        .map_err(|e| failure(format!("{url} is not a .tar.gz archive: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| failure(format!("Reading {url} failed: {e}")))?;
        entry
            .unpack_in(dest)
            .map_err(|e| failure(format!("Unpacking {url} failed: {e}")))?;
    }
    Ok(())
}

fn format_git(url: &str, reference: Option<&str>) -> String {
    match reference {
        Some(reference) => format!("git::{url}?ref={reference}"),
        None => format!("git::{url}"),
    }
}

/// Asks a registry for the newest version matching `constraint` and where
/// to download it. Returns the download source and the version.
async fn registry_download(
    client: &HttpClient,
    host: &str,
    path: &str,
    source: &str,
    constraint: Option<&str>,
) -> Result<(String, String), Report> {
    let local = host.starts_with("localhost") || host.starts_with("127.0.0.1");
    let base = format!("{}://{host}", if local { "http" } else { "https" });
    let (status, _, body) = get(client, &format!("{base}/.well-known/terraform.json"), "").await?;
    #[derive(Deserialize)]
    struct Discovery {
        #[serde(rename = "modules.v1")]
        modules: Option<String>,
    }
    let modules = (status == 200)
        .then(|| serde_json::from_slice::<Discovery>(&body).ok())
        .flatten()
        .and_then(|d| d.modules)
        .ok_or_else(|| {
            failure(format!(
                "{host} does not serve Terraform's module registry protocol"
            ))
        })?;
    let api = if modules.starts_with("http") {
        modules
    } else {
        format!("{base}{modules}")
    };
    let api = api.trim_end_matches('/').to_string();

    let (status, _, body) = get(client, &format!("{api}/{path}/versions"), "").await?;
    #[derive(Deserialize)]
    struct Versions {
        modules: Vec<ModuleVersions>,
    }
    #[derive(Deserialize)]
    struct ModuleVersions {
        versions: Vec<VersionEntry>,
    }
    #[derive(Deserialize)]
    struct VersionEntry {
        version: String,
    }
    if status == 404 {
        return Err(failure(format!(
            "The registry {host} has no module {path} ({source:?})"
        )));
    }
    let listed: Versions = serde_json::from_slice(&body).map_err(|e| {
        failure(format!(
            "{host} answered the versions of {path} with something unreadable: {e}"
        ))
    })?;
    let wanted = match constraint {
        Some(text) => Some(Constraint::parse(text).ok_or_else(|| {
            failure(format!(
                "Invalid version constraint {text:?} for module {source:?}"
            ))
        })?),
        None => None,
    };
    let chosen = listed
        .modules
        .iter()
        .flat_map(|m| &m.versions)
        .filter_map(|v| Some((Version::parse(&v.version)?.0, v.version.clone())))
        .filter(|(version, text)| {
            // Pre-releases only when asked for exactly.
            !text.contains('-') && wanted.as_ref().is_none_or(|c| c.matches(version))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, text)| text)
        .ok_or_else(|| {
            failure(format!(
                "No version of {source:?} matches {:?}",
                constraint.unwrap_or("any")
            ))
        })?;
    let download_url = format!("{api}/{path}/{chosen}/download");
    let (status, location, _) = get(client, &download_url, "x-terraform-get").await?;
    let location = location.filter(|_| status < 300).ok_or_else(|| {
        failure(format!(
            "{host} gave no download location for {path} {chosen} (status {status})"
        ))
    })?;
    // A relative location is relative to the download URL.
    let location = if location.starts_with('/') {
        format!("{base}{location}")
    } else {
        location
    };
    Ok((location, chosen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_module_sources() {
        let (location, subdir) = parse_source("terraform-aws-modules/vpc/aws").unwrap();
        assert!(
            matches!(location, Location::Registry { ref host, ref path } if host == DEFAULT_REGISTRY && path == "terraform-aws-modules/vpc/aws")
        );
        assert_eq!(subdir, None);
        let (location, subdir) =
            parse_source("app.example.com/acme/net/aws//modules/subnets").unwrap();
        assert!(
            matches!(location, Location::Registry { ref host, .. } if host == "app.example.com")
        );
        assert_eq!(subdir.as_deref(), Some("modules/subnets"));
        let (location, subdir) =
            parse_source("git::https://example.com/net.git//modules/vpc?ref=v1.2.0").unwrap();
        assert!(
            matches!(location, Location::Git { ref url, ref reference } if url == "https://example.com/net.git" && reference.as_deref() == Some("v1.2.0"))
        );
        assert_eq!(subdir.as_deref(), Some("modules/vpc"));
        let (location, _) = parse_source("github.com/acme/net").unwrap();
        assert!(
            matches!(location, Location::Git { ref url, .. } if url == "https://github.com/acme/net")
        );
        assert!(parse_source("s3::https://bucket/module.zip").is_err());
        let (location, subdir) =
            parse_source("https://example.com/net-1.0.0.tar.gz//modules/vpc").unwrap();
        assert!(
            matches!(location, Location::Archive { ref url } if url == "https://example.com/net-1.0.0.tar.gz")
        );
        assert_eq!(subdir.as_deref(), Some("modules/vpc"));
        assert!(parse_source("https://example.com/net.zip").is_err());
    }
}
