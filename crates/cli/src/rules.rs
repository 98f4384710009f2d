//! Finding and loading rule files: paths, directories, and the built-in pack. Sigma YAML is
//! loaded here; `.eql` and Elastic `.toml` rules by `rules_eql.rs`.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigil_ir::{Diagnostic, Rule};
use vigil_sigma::{duplicate_ids, load_str, Filter, LoadOptions, RuleId};

/// The outcome of loading rule files.
#[derive(Default)]
pub struct LoadedRules {
    pub rules: Vec<Rule>,
    pub filters: Vec<Filter>,
    /// Rules refused so far, counted by document (a rule, a correlation, a filter: one
    /// each); a file that could be read but holds no rule, or is not UTF-8, counts as one.
    pub rejected: usize,
    /// Every document's `id` and `name`, in load order, for the duplicate warnings of [`link`].
    pub ids: Vec<RuleId>,
    /// Per file: its path, its text (for rendering diagnostics) and its diagnostics.
    pub files: Vec<FileReport>,
}

pub struct FileReport {
    pub path: String,
    pub text: Arc<str>,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

/// The largest rule file read: 4 MiB (SigmaHQ's largest rule is under 100 KB). A larger
/// file, or an endless one such as `/dev/zero`, is refused after reading that much.
pub const MAX_RULE_FILE_BYTES: u64 = 4 << 20;

/// The endings of rule files: Sigma YAML, EQL queries, Elastic rule TOML.
pub const RULE_FILE_ENDINGS: [&str; 4] = ["yml", "yaml", "eql", "toml"];

/// Every rule file (`.yml`/`.yaml`/`.eql`/`.toml`) under `paths`, sorted for a stable order (paths given
/// explicitly are taken whatever their name), and the directory entries that were not read,
/// with why (see [`vigil_events::walk`]: links are followed once, special files are not
/// opened, unreadable entries are named).
pub fn rule_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<vigil_events::Skipped>) {
    let (files, mut skipped, ignored) = rule_files_and_others(paths);
    if let Some(first) = ignored.first() {
        let why = format!("{} file(s) in the given directories are not `.yml`/`.yaml`/`.eql`/`.toml` rule files (this is one of them)", ignored.len());
        skipped.push(vigil_events::Skipped { path: first.clone(), why, unreadable: false });
    }
    (files, skipped)
}

/// [`rule_files`], with the files that are not rule files apart.
fn rule_files_and_others(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<vigil_events::Skipped>, Vec<PathBuf>) {
    let mut walk = vigil_events::Walk::default();
    for path in paths {
        if path.is_dir() {
            vigil_events::walk_dir(path, &|p| p.extension().and_then(|e| e.to_str()).is_some_and(|e| RULE_FILE_ENDINGS.contains(&e)), &mut walk);
        } else {
            walk.files.push(path.clone());
        }
    }
    (walk.files, walk.skipped, walk.ignored)
}

/// Reads a rule file, at most [`MAX_RULE_FILE_BYTES`].
pub fn read_rule_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(MAX_RULE_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_RULE_FILE_BYTES {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("larger than {} MiB, the limit for a rule file", MAX_RULE_FILE_BYTES >> 20)));
    }
    Ok(bytes)
}

/// Loads Sigma rules from files; unreadable files are reported like bad rules.
pub fn load_files(paths: &[PathBuf], options: &LoadOptions) -> std::io::Result<LoadedRules> {
    let mut loaded = LoadedRules::default();
    let (files, skipped) = rule_files(paths);
    for entry in skipped {
        let name = entry.path.display().to_string();
        let span = vigil_ir::Span::new(0, 0, 1, 1);
        let (errors, warnings) = if entry.unreadable {
            (vec![Diagnostic::error("io::read", Arc::from(name.as_str()), span, entry.why.clone())], Vec::new())
        } else {
            (Vec::new(), vec![Diagnostic::warning("io::skipped", Arc::from(name.as_str()), span, format!("not read: {}", entry.why))])
        };
        loaded.files.push(FileReport { path: name, text: Arc::from(""), errors, warnings });
    }
    // Files are read and parsed on up to one thread per core, each thread a contiguous run
    // of them, and the runs appended in order: the same result as reading them one by one.
    let threads = vigil_engine::parallel::cores().min(files.len() / FILES_PER_THREAD).max(1);
    let run_length = files.len().div_ceil(threads).max(1);
    let load_run = |run: &[PathBuf]| {
        let mut part = LoadedRules::default();
        for path in run {
            load_file(&mut part, path, options);
        }
        part
    };
    let parts: Vec<LoadedRules> = if threads == 1 {
        vec![load_run(&files)]
    } else {
        std::thread::scope(|scope| {
            let workers: Vec<_> = files.chunks(run_length).map(|run| scope.spawn(move || load_run(run))).collect();
            workers.into_iter().map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
        })
    };
    for mut part in parts {
        loaded.rules.append(&mut part.rules);
        loaded.filters.append(&mut part.filters);
        loaded.rejected += part.rejected;
        loaded.ids.append(&mut part.ids);
        loaded.files.append(&mut part.files);
    }
    Ok(loaded)
}

/// Below this many files per thread, reading on more threads is not worth starting them.
const FILES_PER_THREAD: usize = 64;

/// Reads and loads one rule file into `loaded`; a file that cannot be read or decoded is
/// reported like a bad rule.
fn load_file(loaded: &mut LoadedRules, path: &Path, options: &LoadOptions) {
    let name = path.display().to_string();
    match read_rule_file(path) {
        Ok(bytes) => match vigil_yaml::decode(&Arc::from(name.as_str()), &bytes) {
            Ok(text) => match path.extension().and_then(|e| e.to_str()) {
                Some("eql") => crate::rules_eql::load_eql_text(loaded, name, text.to_string()),
                Some("toml") => crate::rules_eql::load_toml_text(loaded, name, text.to_string()),
                _ => load_text(loaded, name, text.to_string(), options),
            },
            Err(d) => {
                loaded.rejected += 1;
                let text = Arc::from(String::from_utf8_lossy(&bytes).as_ref());
                loaded.files.push(FileReport { path: name, text, errors: vec![d], warnings: Vec::new() });
            }
        },
        Err(e) => {
            let d = Diagnostic::error("io::read", Arc::from(name.as_str()), vigil_ir::Span::new(0, 0, 1, 1), format!("cannot read: {e}"));
            loaded.files.push(FileReport { path: name, text: Arc::from(""), errors: vec![d], warnings: Vec::new() });
        }
    }
}

/// Loads one rule file's text under a display name.
pub fn load_text(loaded: &mut LoadedRules, name: String, text: String, options: &LoadOptions) {
    let source: Arc<str> = Arc::from(name.as_str());
    let text: Arc<str> = Arc::from(text);
    let mut file = load_str(source, &text, options);
    loaded.rejected += file.refused;
    loaded.ids.append(&mut file.ids);
    loaded.rules.append(&mut file.rules);
    loaded.filters.append(&mut file.filters);
    loaded.files.push(FileReport { path: name, text, errors: file.errors, warnings: file.warnings });
}

/// Resolves correlations and filters across everything loaded and warns about duplicate
/// ids, filing the diagnostics under the files they belong to. Each error removed a rule.
pub fn link(loaded: &mut LoadedRules) {
    // Correlations that can never fire under the engine's limits are refused first, so
    // `check` and `hunt` agree and correlations built on them are refused as well.
    let mut diagnostics = duplicate_ids(&loaded.ids);
    diagnostics.extend(vigil_engine::correlate::limits::refuse_unreachable(&mut loaded.rules, &vigil_engine::Limits::default()));
    diagnostics.extend(vigil_sigma::link(&mut loaded.rules, &loaded.filters));
    for d in diagnostics {
        if d.severity == vigil_ir::Severity::Error {
            loaded.rejected += 1;
        }
        file_diagnostic(loaded, d);
    }
}

/// Files a diagnostic under the file it belongs to (errors and warnings apart).
pub fn file_diagnostic(loaded: &mut LoadedRules, d: Diagnostic) {
    match loaded.files.iter_mut().find(|f| *f.path == *d.source) {
        Some(file) if d.severity == vigil_ir::Severity::Error => file.errors.push(d),
        Some(file) => file.warnings.push(d),
        None => {}
    }
}
