//! The `diff` and `validate` commands, run as the real binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use tempfile::TempDir;

use super::perturb::{Rng, perturb};

fn run(args: &[&Path]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_kore-gitops"))
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.code().is_some(), "killed by a signal");
    output
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/bots")
        .join(name)
}

/// A copy of an example bot folder, with `edit` applied to its definition and config.
fn edited_copy(name: &str, edit: impl FnOnce(&mut Value, &mut Value)) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(example(name)).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let read = |file: &str| {
        serde_json::from_slice::<Value>(&fs::read(dir.path().join(file)).unwrap()).unwrap()
    };
    let (mut definition, mut config) = (read("botDefinition.json"), read("config.json"));
    edit(&mut definition, &mut config);
    fs::write(
        dir.path().join("botDefinition.json"),
        serde_json::to_vec_pretty(&definition).unwrap(),
    )
    .unwrap();
    fs::write(
        dir.path().join("config.json"),
        serde_json::to_vec_pretty(&config).unwrap(),
    )
    .unwrap();
    dir
}

#[test]
fn diff_of_a_re_export_exits_0() {
    let copy = edited_copy("travel-desk", |d, _| perturb(d, &mut Rng::new(3)));
    let output = run(&[Path::new("diff"), &example("travel-desk"), copy.path()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        text(&output).starts_with("equivalent (sha256:"),
        "{}",
        text(&output)
    );
}

#[test]
fn diff_of_a_real_edit_exits_1_and_names_it() {
    let copy = edited_copy("travel-desk", |d, _| {
        let sentence = d["sentences"][0].clone();
        let mut added = sentence.clone();
        added["sentence"] = json!("take me somewhere warm");
        d["sentences"].as_array_mut().unwrap().push(added);
    });
    let output = run(&[Path::new("diff"), &example("travel-desk"), copy.path()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("utterances: +1 −0 in"),
        "{}",
        text(&output)
    );
    assert!(
        text(&output).contains("+ take me somewhere warm"),
        "{}",
        text(&output)
    );
}

#[test]
fn diff_json_reports_changes_without_values() {
    let copy = edited_copy("travel-desk", |_, c| {
        c["envVariables"][0]["value"] = json!("very-secret-new-value");
    });
    let output = run(&[
        Path::new("diff"),
        Path::new("--json"),
        &example("travel-desk"),
        copy.path(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        !text(&output).contains("very-secret-new-value"),
        "{}",
        text(&output)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["equivalent"], json!(false));
    assert_eq!(report["changes"][0]["component"], json!("variables"));
    assert_eq!(report["changes"][0]["aspects"], json!(["value"]));
    assert_ne!(report["left_digest"], report["right_digest"]);
}

#[test]
fn ignore_rules_in_bot_toml_hide_what_they_name() {
    let copy = edited_copy("travel-desk", |d, c| {
        d["widgets"] = json!([{"name": "changed in the UI"}]);
        c["envVariables"][0]["hint"] = json!("edited hint");
    });
    let toml = fs::read_to_string(copy.path().join("bot.toml")).unwrap();
    let rules = "ignore = [\"/widgets\", \"config:/envVariables/*/hint\"]\n";
    fs::write(copy.path().join("bot.toml"), format!("{toml}{rules}")).unwrap();
    let output = run(&[Path::new("diff"), &example("travel-desk"), copy.path()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    fs::write(copy.path().join("bot.toml"), toml).unwrap();
    let output = run(&[Path::new("diff"), &example("travel-desk"), copy.path()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
}

#[test]
fn diff_errors_exit_2() {
    let missing = run(&[
        Path::new("diff"),
        &example("travel-desk"),
        Path::new("/nonexistent/bot"),
    ]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    assert!(
        text(&missing).contains("/nonexistent/bot"),
        "{}",
        text(&missing)
    );
    let zip = run(&[
        Path::new("diff"),
        Path::new("export.zip"),
        &example("travel-desk"),
    ]);
    assert_eq!(zip.status.code(), Some(2), "{}", text(&zip));
    assert!(text(&zip).contains("export.zip: "), "{}", text(&zip));
}

#[test]
fn an_export_zip_compares_with_its_unpacked_folder() {
    let Some(export) = crate::support::fixtures::export("demobot-Export_All") else {
        return;
    };
    let output = run(&[Path::new("diff"), &export.join("fullexport.zip"), &export]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let other = export
        .with_file_name("demobot-Export_BotTasks")
        .join("fullexport.zip");
    let output = run(&[Path::new("diff"), &export.join("fullexport.zip"), &other]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
}

#[test]
fn a_hostile_zip_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for name in ["botDefinition.json", "config.json", "../escape.js"] {
        zip.start_file(name, options).unwrap();
        std::io::Write::write_all(&mut zip, b"{}").unwrap();
    }
    zip.finish().unwrap();
    let output = run(&[Path::new("diff"), &path, &example("travel-desk")]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("evil.zip: "), "{}", text(&output));
    assert!(text(&output).contains("../escape.js"), "{}", text(&output));
    assert!(!dir.path().parent().unwrap().join("escape.js").exists());
}

#[test]
fn validate_exits_0_on_the_example_repository() {
    let output = run(&[
        Path::new("validate"),
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn validate_lists_every_problem_with_its_file_and_exits_2() {
    let repo = tempfile::tempdir().unwrap();
    let bots = repo.path().join("bots");
    for name in ["broken-json", "linked"] {
        fs::create_dir_all(bots.join(name)).unwrap();
        for entry in fs::read_dir(example("it-helpdesk")).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), bots.join(name).join(entry.file_name())).unwrap();
        }
    }
    fs::write(
        bots.join("broken-json/botDefinition.json"),
        "{\n\"dialogs\": [\n",
    )
    .unwrap();
    fs::remove_file(bots.join("linked/config.json")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", bots.join("linked/config.json")).unwrap();
    let output = run(&[Path::new("validate"), repo.path()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let out = text(&output);
    assert!(
        out.contains("bots/broken-json/botDefinition.json:3:"),
        "{out}"
    );
    assert!(
        out.contains("bots/linked/config.json: symbolic links are not allowed"),
        "{out}"
    );
    assert!(out.contains("2 problem(s)"), "{out}");
}
