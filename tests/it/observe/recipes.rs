//! The pull-request recipes in `deploy/ci`: GitHub Actions and GitLab CI
//! files that parse, run the real `kore-gitops plan --format markdown` (with
//! flags the binary has) against the pull request's head, and post the
//! output as a comment.

use serde_json::Value;

use super::deploy::{read, validator, yaml_document};

/// Every shell line of the recipe's steps or script.
fn script_of(recipe: &Value) -> String {
    let mut text = String::new();
    let mut stack = vec![recipe];
    while let Some(value) = stack.pop() {
        match value {
            Value::String(s) => {
                text.push_str(s);
                text.push('\n');
            }
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Object(map) => stack.extend(map.values().rev()),
            _ => {}
        }
    }
    text
}

#[test]
fn both_recipes_parse_run_the_real_plan_and_post_its_markdown() {
    // PyYAML (kubernetes-validate's) reads the files.
    if !validator() {
        return;
    }
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_kore-gitops"))
        .args(["plan", "--help"])
        .output()
        .expect("the binary runs");
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(
        help.contains("--format") && help.contains("markdown"),
        "{help}"
    );

    let github = yaml_document("ci/github-actions-plan.yml");
    // YAML 1.1 reads the `on:` key as true.
    assert!(github["true"]["pull_request"].is_object(), "{github}");
    assert_eq!(github["permissions"]["pull-requests"], "write");
    let gitlab = yaml_document("ci/gitlab-ci-plan.yml");
    let job = &gitlab["kore-gitops-plan"];
    assert!(
        job["rules"][0]["if"]
            .as_str()
            .unwrap()
            .contains("merge_request_event")
    );

    for (name, recipe, posts) in [
        ("github", &github, "gh pr comment"),
        (
            "gitlab",
            &gitlab,
            "/merge_requests/$CI_MERGE_REQUEST_IID/notes",
        ),
    ] {
        let script = script_of(recipe);
        assert!(
            script.contains("kore-gitops plan --config kore-gitops.toml --format markdown > "),
            "{name}: {script}"
        );
        assert!(script.contains(posts), "{name}: {script}");
        assert!(
            script.contains("git branch --force kore-gitops-plan HEAD"),
            "{name}"
        );
        for variable in [
            "KORE_GITOPS_GIT_URL",
            "KORE_GITOPS_GIT_BRANCH",
            "KORE_GITOPS_DAEMON_STATE_DIR",
        ] {
            assert!(
                read(&format!(
                    "ci/{name}-{}",
                    if name == "github" {
                        "actions-plan.yml"
                    } else {
                        "ci-plan.yml"
                    }
                ))
                .contains(variable),
                "{name}: {variable}"
            );
        }
    }
}
