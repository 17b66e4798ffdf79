//! Replays every fuzz target over its seed folder, so `cargo test` proves the seeds pass.
//!
//! A target built without cargo-fuzz's flags still runs libFuzzer's driver: given a
//! folder it executes each file once and exits 0, or aborts on a crash.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Targets declared as `[[bin]]` in fuzz/Cargo.toml.
fn declared_targets() -> Vec<String> {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("manifest");
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin {
            if let Some(value) = line.strip_prefix("name") {
                let name = value.trim_start_matches([' ', '=']).trim_matches('"');
                names.push(name.to_string());
            }
        }
    }
    names
}

fn binary(name: &str) -> PathBuf {
    // Integration tests run from target/<profile>/deps/; the bins sit in target/<profile>/.
    let exe = std::env::current_exe().expect("current exe");
    let profile_dir = exe.parent().and_then(Path::parent).expect("profile dir");
    profile_dir.join(name)
}

#[test]
fn every_target_replays_its_seeds() {
    let targets = declared_targets();
    for name in &targets {
        let seeds = fuzz_dir().join("seeds").join(name);
        let count = std::fs::read_dir(&seeds)
            .unwrap_or_else(|e| panic!("target {name} has no seeds folder {seeds:?}: {e}"))
            .count();
        assert!(count > 0, "target {name}: seeds folder is empty");
        let output = Command::new(binary(name))
            .arg(&seeds)
            .arg("-runs=0")
            .output()
            .unwrap_or_else(|e| panic!("run {name}: {e}"));
        assert!(
            output.status.success(),
            "target {name} failed on its seeds:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        eprintln!("{name}: {count} seeds replayed");
    }
    eprintln!("{} fuzz targets replayed", targets.len());
}

#[test]
fn every_seed_folder_belongs_to_a_target() {
    let targets = declared_targets();
    let Ok(entries) = std::fs::read_dir(fuzz_dir().join("seeds")) else {
        return;
    };
    for entry in entries {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        assert!(
            targets.contains(&name),
            "seeds/{name} has no [[bin]] target"
        );
    }
}
