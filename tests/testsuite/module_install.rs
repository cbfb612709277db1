//! `terrane init` installing modules, against a module registry this test
//! runs on loopback and a git repository on disk: the newest version the
//! constraint allows is chosen, cloned where Terraform puts modules, listed
//! in modules.json, kept on the next init, and used by validate.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

/// A git repository whose module outputs its own version, tagged at each.
fn module_repository(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git runs");
        assert!(status.status.success(), "git {args:?}: {status:?}");
    };
    git(&["init", "--quiet"]);
    for version in ["1.0.0", "1.2.0", "2.0.0"] {
        std::fs::write(
            dir.join("main.tf"),
            format!(
                "variable \"name\" {{\n  type = string\n}}\n\noutput \"version\" {{\n  value = \"{version}\"\n}}\n"
            ),
        )
        .unwrap();
        git(&["add", "main.tf"]);
        git(&["commit", "--quiet", "-m", version]);
        git(&["tag", &format!("v{version}")]);
    }
}

/// A .tar.gz archive of a module at `modules/web` inside it.
fn web_archive() -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut archive = tar::Builder::new(encoder);
    let text = b"output \"from\" {\n  value = \"archive\"\n}\n";
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    archive
        .append_data(&mut header, "modules/web/main.tf", &text[..])
        .unwrap();
    archive.into_inner().unwrap().finish().unwrap()
}

/// Serves Terraform's module registry protocol on a loopback port:
/// `acme/net/aws` downloads from the git `repository`, `acme/web/aws` from
/// a .tar.gz archive the server also serves. Returns the port.
fn registry(repository: &Path) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    let repository = repository.display().to_string();
    let archive = web_archive();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // Skip the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or_default();
            if path == "/archives/web-1.0.0.tar.gz" {
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    archive.len()
                );
                let _ = stream.write_all(&archive);
                continue;
            }
            let (status, headers, body) = match path {
                "/.well-known/terraform.json" => {
                    ("200 OK", String::new(), r#"{"modules.v1":"/v1/modules/"}"#.to_string())
                }
                "/v1/modules/acme/web/aws/versions" => (
                    "200 OK",
                    String::new(),
                    r#"{"modules":[{"versions":[{"version":"1.0.0"}]}]}"#.to_string(),
                ),
                "/v1/modules/acme/web/aws/1.0.0/download" => (
                    "204 No Content",
                    "X-Terraform-Get: /archives/web-1.0.0.tar.gz\r\n".to_string(),
                    String::new(),
                ),
                "/v1/modules/acme/net/aws/versions" => (
                    "200 OK",
                    String::new(),
                    r#"{"modules":[{"versions":[{"version":"1.0.0"},{"version":"2.0.0"},{"version":"1.2.0"},{"version":"1.3.0-beta"}]}]}"#.to_string(),
                ),
                download if download.ends_with("/download") => {
                    let version = download.rsplit('/').nth(1).unwrap_or_default();
                    (
                        "204 No Content",
                        format!("X-Terraform-Get: git::file://{repository}?ref=v{version}\r\n"),
                        String::new(),
                    )
                }
                _ => ("404 Not Found", String::new(), String::new()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

fn terrane(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_terrane"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run terrane");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn init_installs_registry_and_git_modules_where_terraform_does() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let repository = root.path().join("repos/net");
    module_repository(&repository);
    let port = registry(&repository);
    let stack = root.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    std::fs::write(
        stack.join("main.tf"),
        format!(
            r#"
module "net" {{
  source  = "127.0.0.1:{port}/acme/net/aws"
  version = "~> 1.0"
  name    = "primary"
}}

module "web" {{
  source = "127.0.0.1:{port}/acme/web/aws//modules/web"
}}

module "pinned" {{
  source = "git::file://{}?ref=v2.0.0"
  name   = "pinned"
}}

output "versions" {{
  value = [module.net.version, module.pinned.version, module.web.from]
}}
"#,
            repository.display()
        ),
    )
    .unwrap();

    // Before init, the registry module is missing.
    let (code, _, stderr) = terrane(root.path(), &["validate", "stack"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("Module \"net\" is not installed"),
        "{stderr}"
    );

    let (code, stdout, stderr) = terrane(root.path(), &["init", "stack"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // ~> 1.0: the newest 1.x, not the pre-release.
    assert!(
        stdout.contains(&format!(
            "Installed module net (127.0.0.1:{port}/acme/net/aws 1.2.0)"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("Installed module pinned"), "{stdout}");
    let installed =
        std::fs::read_to_string(stack.join(".terraform/modules/net/main.tf")).expect("cloned");
    assert!(installed.contains("\"1.2.0\""), "{installed}");
    let pinned =
        std::fs::read_to_string(stack.join(".terraform/modules/pinned/main.tf")).expect("cloned");
    assert!(pinned.contains("\"2.0.0\""), "{pinned}");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(stack.join(".terraform/modules/modules.json")).unwrap(),
    )
    .unwrap();
    let keys: Vec<&str> = manifest["Modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["", "net", "web", "pinned"]);
    // The archive's module, at the //subdir the source names.
    let web_dir = manifest["Modules"][2]["Dir"].as_str().unwrap();
    assert_eq!(web_dir, ".terraform/modules/web/modules/web");
    assert!(stack.join(web_dir).join("main.tf").is_file());

    let (code, _, stderr) = terrane(root.path(), &["validate", "stack"]);
    assert_eq!(code, 0, "{stderr}");

    // A second init keeps what is installed.
    let (code, stdout, stderr) = terrane(root.path(), &["init", "stack"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("Kept module net"), "{stdout}");
}
