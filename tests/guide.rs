//! The guide's chapters name real files and runnable examples.
//!
//! A chapter that says "open `crates/simul-coro/examples/cake_coro.rs`"
//! or "run `cargo run -p simul-coro --example cake_coro`" makes a promise
//! rustdoc cannot check: these tests do, so renaming an example breaks
//! the build of the guide instead of the reader's trust.

use std::fs;
use std::path::{Path, PathBuf};

/// The facade package's directory (the workspace root).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every chapter: its file name and its text.
fn chapters() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(root().join("src/guide")).expect("src/guide exists") {
        let path = entry.expect("a readable directory entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            let text = fs::read_to_string(&path).expect("a chapter is UTF-8 text");
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name, text));
        }
    }
    out.sort();
    assert!(out.len() >= 2, "the guide has chapters");
    out
}

/// The words of `text`, split at white space and at the characters
/// markdown and prose put around a path.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || "`()[]<>\"'|,;".contains(c))
        .map(|w| w.trim_end_matches([':', '.']))
        .filter(|w| !w.is_empty())
}

/// Whether `word` names a file of an example directory, as a chapter
/// would when it sends the reader to one.
fn is_example_path(word: &str) -> bool {
    word.ends_with(".rs") && (word.starts_with("crates/") || word.starts_with("examples/"))
        || word.starts_with("benches/")
}

/// Where `cargo run [-p package] --example name` finds its source.
fn example_source(package: Option<&str>, name: &str) -> Option<PathBuf> {
    let dir = match package {
        None | Some("simul") => root().join("examples"),
        Some(p) => root().join("crates").join(p).join("examples"),
    };
    [dir.join(format!("{name}.rs")), dir.join(name).join("main.rs")]
        .into_iter()
        .find(|p| p.is_file())
}

/// Every `cargo run ... --example NAME` line of `text`, with its package.
fn example_commands(text: &str) -> Vec<(Option<String>, String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(at) = line.find("cargo run") else { continue };
        let args: Vec<&str> = line[at..].split_whitespace().take_while(|w| *w != "--").collect();
        let after = |flag: &str| {
            args.iter().position(|w| *w == flag).and_then(|i| args.get(i + 1)).map(|w| {
                w.trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                    .to_string()
            })
        };
        if let Some(name) = after("--example") {
            out.push((after("-p"), name, line.trim().to_string()));
        }
    }
    out
}

#[test]
fn every_example_path_a_chapter_names_exists() {
    let mut named = 0;
    for (chapter, text) in chapters() {
        for word in words(&text).filter(|w| is_example_path(w)) {
            named += 1;
            assert!(
                Path::new(&root()).join(word).exists(),
                "{chapter} names `{word}`, which does not exist"
            );
        }
    }
    assert!(named > 0, "the chapters send the reader to examples");
}

#[test]
fn every_cargo_run_example_names_an_existing_example() {
    let mut commands = 0;
    for (chapter, text) in chapters() {
        for (package, name, line) in example_commands(&text) {
            commands += 1;
            if let Some(p) = &package {
                assert!(
                    p == "simul" || root().join("crates").join(p).join("Cargo.toml").is_file(),
                    "{chapter}: `{line}` names package `{p}`, which is not in the workspace"
                );
            }
            assert!(
                example_source(package.as_deref(), &name).is_some(),
                "{chapter}: `{line}` names example `{name}`, which does not exist"
            );
        }
    }
    assert!(commands > 0, "the chapters say how to run their examples");
}

/// Every `cargo test|bench [-p package] --test|--bench NAME` line of
/// `text`: (package, "tests" or "benches", name, line).
fn target_commands(text: &str) -> Vec<(Option<String>, &'static str, String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(at) = line.find("cargo test").or_else(|| line.find("cargo bench")) else {
            continue;
        };
        let args: Vec<&str> = line[at..].split_whitespace().take_while(|w| *w != "--").collect();
        let after = |flag: &str| {
            args.iter().position(|w| *w == flag).and_then(|i| args.get(i + 1)).map(|w| {
                w.trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                    .to_string()
            })
        };
        for (flag, dir) in [("--test", "tests"), ("--bench", "benches")] {
            if let Some(name) = after(flag) {
                out.push((after("-p"), dir, name, line.trim().to_string()));
            }
        }
    }
    out
}

#[test]
fn every_cargo_test_and_bench_target_a_chapter_names_exists() {
    let mut commands = 0;
    for (chapter, text) in chapters() {
        for (package, dir, name, line) in target_commands(&text) {
            commands += 1;
            let base = match package.as_deref() {
                None | Some("simul") => root(),
                Some(p) => root().join("crates").join(p),
            };
            let file = base.join(dir).join(format!("{name}.rs"));
            assert!(
                file.is_file(),
                "{chapter}: `{line}` names {}, which does not exist",
                file.display()
            );
        }
    }
    assert!(commands > 0, "the chapters name the tests that pin their behaviours down");
}

#[test]
fn every_chapter_is_in_the_guide_and_its_table_of_contents() {
    let guide = fs::read_to_string(root().join("src/guide.rs")).expect("src/guide.rs exists");
    for (chapter, text) in chapters() {
        assert!(
            guide.contains(&format!("include_str!(\"guide/{chapter}\")")),
            "src/guide/{chapter} is not included by src/guide.rs"
        );
        let module = chapter.trim_end_matches(".md");
        assert!(
            guide.contains(&format!("[`{module}`]")),
            "the table of contents in src/guide.rs does not link `{module}`"
        );
        let title = text.lines().next().unwrap_or_default();
        assert!(title.starts_with("# "), "{chapter} starts with its title, not {title:?}");
        assert!(text.contains("## Exercises"), "{chapter} ends with exercises");
    }
}

#[test]
fn the_checks_see_what_they_check() {
    // The parsers above, on lines shaped like the chapters' own.
    let line = "cargo run --release -p simul-coro --example cake_coro -- --board";
    let found = example_commands(line);
    assert_eq!(found, [(Some("simul-coro".into()), "cake_coro".into(), line.into())]);
    assert_eq!(example_commands("cargo run --release --example tour")[0].1, "tour");
    assert!(example_commands("cargo run --example nowhere_at_all").iter().all(|(p, n, _)| {
        p.is_none() && n == "nowhere_at_all" && example_source(None, n).is_none()
    }));
    let prose = "see `crates/simul-coro/examples/cake_coro.rs`: it runs";
    assert_eq!(
        words(prose).filter(|w| is_example_path(w)).collect::<Vec<_>>(),
        ["crates/simul-coro/examples/cake_coro.rs"]
    );
    assert!(example_source(Some("simul-coro"), "cake_coro").is_some());
    let test = "cargo test -p simul-future --test abort";
    assert_eq!(
        target_commands(test),
        [(Some("simul-future".into()), "tests", "abort".into(), test.into())]
    );
    assert_eq!(target_commands("cargo bench --bench styles")[0].1, "benches");
    assert!(example_source(None, "tour").is_some());
}
