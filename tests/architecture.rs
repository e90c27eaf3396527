//! The layering rule of docs/architecture.md, enforced: every `crate::` and `super::` path in
//! src/ (in `use` lines and in code) is resolved to the module it reaches, through `pub use`
//! re-exports, and a module may reach only modules of its own layer or of a layer below.
//! The layer table is read from docs/architecture.md itself, so the page and the rule
//! cannot drift apart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type ModPath = Vec<String>;

/// One row of the page's layer table.
#[derive(Debug)]
struct Layer {
    rank: usize,
    name: String,
    modules: Vec<ModPath>,
}

/// Rows `| N | name | `mod`, `mod::sub` … | … |` of the table under "## Layers".
fn layers_from_page(page: &str) -> Vec<Layer> {
    let mut out = Vec::new();
    let mut in_section = false;
    for line in page.lines() {
        if line.starts_with("## ") {
            in_section = line.trim() == "## Layers";
            continue;
        }
        if !in_section || !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(rank), Some(name), Some(modules)) = (cells.get(1), cells.get(2), cells.get(3))
        else {
            continue;
        };
        let Ok(rank) = rank.parse::<usize>() else {
            continue;
        };
        let modules = modules
            .split('`')
            .skip(1)
            .step_by(2)
            .map(|m| m.split("::").map(str::to_string).collect())
            .collect();
        out.push(Layer {
            rank,
            name: name.to_string(),
            modules,
        });
    }
    out
}

/// Code with comments and the insides of string and char literals blanked (newlines kept,
/// so that byte offsets still give line numbers).
fn blank_comments_and_strings(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let prev_ident = i > 0 && ident(b[i - 1]);
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = src[i..].find('\n').map_or(b.len(), |n| i + n);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let (mut depth, mut j) = (1, i + 2);
                while j < b.len() && depth > 0 {
                    if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                        depth += 1;
                        j += 1;
                    } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                        depth -= 1;
                        j += 1;
                    }
                    j += 1;
                }
                blank(&mut out, i, j.min(b.len()));
                i = j;
            }
            b'r' if !prev_ident && matches!(b.get(i + 1), Some(b'"') | Some(b'#')) => {
                let mut j = i + 1;
                while b.get(j) == Some(&b'#') {
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let closing = format!("\"{}", "#".repeat(j - i - 1));
                let end = src[j + 1..]
                    .find(&closing)
                    .map_or(b.len(), |n| j + 1 + n + closing.len());
                blank(
                    &mut out,
                    j + 1,
                    end.saturating_sub(closing.len()).max(j + 1),
                );
                i = end;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i + 1, j.min(b.len()));
                i = j + 1;
            }
            // A char literal ('x', '\n', '\u{..}'); a lifetime ('a) is left alone.
            b'\'' => {
                let close = if b.get(i + 1) == Some(&b'\\') {
                    src[i + 2..].find('\'').map(|n| i + 2 + n)
                } else {
                    src[i + 1..]
                        .chars()
                        .next()
                        .map(|c| i + 1 + c.len_utf8())
                        .filter(|&j| b.get(j) == Some(&b'\''))
                };
                match close {
                    Some(j) if j - i <= 12 => {
                        blank(&mut out, i + 1, j);
                        i = j + 1;
                    }
                    _ => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A path as written at `offset`: its segments (starting with `crate` or `super`), one per
/// leaf of a `{…}` group.
#[derive(Debug, PartialEq)]
struct Written {
    offset: usize,
    segments: Vec<String>,
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Parses `a::b::{c, d::{e, f as g}, self, *}` from `text[*pos..]`, appending each leaf.
/// Each leaf comes with the offset of its last word (its own line in a multi-line group).
fn parse_tree(
    text: &str,
    pos: &mut usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, usize)>,
) {
    let mut segs = prefix;
    loop {
        skip_space(text, pos);
        let rest = &text[*pos..];
        if rest.starts_with('{') {
            *pos += 1;
            loop {
                skip_space(text, pos);
                if text[*pos..].starts_with('}') {
                    *pos += 1;
                    break;
                }
                if *pos >= text.len() {
                    return;
                }
                parse_tree(text, pos, segs.clone(), out);
                skip_space(text, pos);
                if text[*pos..].starts_with(',') {
                    *pos += 1;
                } else if text[*pos..].starts_with('}') {
                    *pos += 1;
                    break;
                } else {
                    return;
                }
            }
            return;
        }
        let word_start = *pos;
        if rest.starts_with('*') {
            *pos += 1;
            out.push((segs, word_start));
            return;
        }
        let len = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        if len == 0 {
            out.push((segs, word_start));
            return;
        }
        let word = &rest[..len];
        *pos += len;
        if word != "self" {
            segs.push(word.to_string());
        }
        skip_space(text, pos);
        if text[*pos..].starts_with("::") {
            *pos += 2;
            continue;
        }
        if text[*pos..].starts_with("as ") {
            *pos += 3;
            skip_space(text, pos);
            let r = &text[*pos..];
            *pos += r.find(|c: char| !is_ident(c)).unwrap_or(r.len());
        }
        out.push((segs, word_start));
        return;
    }
}

fn skip_space(text: &str, pos: &mut usize) {
    let r = &text[*pos..];
    *pos += r.len() - r.trim_start().len();
}

/// Every `crate::…` and `super::…` path in blanked code.
fn written_paths(code: &str) -> Vec<Written> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let starts = ["crate::", "super::"]
            .iter()
            .find(|s| rest.starts_with(**s));
        let boundary = i == 0 || {
            let prev = code[..i].chars().next_back().unwrap_or(' ');
            !is_ident(prev) && prev != ':'
        };
        match starts {
            Some(s) if boundary => {
                let mut leaves = Vec::new();
                let mut pos = i + s.len();
                let first = s.trim_end_matches("::").to_string();
                parse_tree(code, &mut pos, vec![first], &mut leaves);
                out.extend(
                    leaves
                        .into_iter()
                        .map(|(segments, offset)| Written { offset, segments }),
                );
                i = pos.max(i + 1);
            }
            _ => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    out
}

/// Inline `mod name {` blocks: (start, end, name), for `super` inside them.
fn inline_modules(code: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let b = code.as_bytes();
    let mut search = 0;
    while let Some(n) = code[search..].find("mod ") {
        let at = search + n;
        search = at + 4;
        if at > 0 && is_ident(b[at - 1] as char) {
            continue;
        }
        let rest = &code[at + 4..];
        let len = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        let after = rest[len..].trim_start();
        if len == 0 || !after.starts_with('{') {
            continue;
        }
        let open = at + 4 + len + (rest[len..].len() - after.len());
        let mut depth = 0usize;
        let mut end = code.len();
        for (j, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push((open, end, rest[..len].to_string()));
    }
    out
}

struct SourceFile {
    path: PathBuf,
    module: ModPath,
    code: String,
}

fn module_of(rel: &Path) -> ModPath {
    let mut segs: ModPath = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if segs.last().is_some_and(|s| s == "mod" || s == "lib") {
        segs.pop();
    }
    segs
}

fn read_tree(root: &Path) -> Vec<SourceFile> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src/") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("under src/").to_path_buf();
                if rel == Path::new("main.rs") {
                    continue; // the binary: it reaches the library as `mailpreflight::`
                }
                let src = std::fs::read_to_string(&path).expect("read a source file");
                files.push(SourceFile {
                    module: module_of(&rel),
                    path: Path::new("src").join(rel),
                    code: blank_comments_and_strings(&src),
                });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The tree's modules and the names each re-exports (`pub use`), as absolute paths.
struct Tree {
    modules: BTreeSet<ModPath>,
    reexports: BTreeMap<ModPath, BTreeMap<String, ModPath>>,
}

/// `segments` as written in module `here` (`crate::…`, `super::…`, or relative to `here`),
/// made absolute; `None` for another crate's path.
fn absolute(here: &[String], segments: &[String], modules: &BTreeSet<ModPath>) -> Option<ModPath> {
    let mut base: ModPath = here.to_vec();
    let mut rest = segments;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("super") => {
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        Some(first) => {
            let mut child = base.clone();
            child.push(first.to_string());
            if !modules.contains(&child) {
                return None;
            }
        }
        None => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

impl Tree {
    fn new(files: &[SourceFile]) -> Tree {
        let modules: BTreeSet<ModPath> = files.iter().map(|f| f.module.clone()).collect();
        let mut reexports: BTreeMap<ModPath, BTreeMap<String, ModPath>> = BTreeMap::new();
        for f in files {
            let mut search = 0;
            while let Some(n) = f.code[search..].find("pub use ") {
                let mut pos = search + n + "pub use ".len();
                let mut leaves = Vec::new();
                parse_tree(&f.code, &mut pos, Vec::new(), &mut leaves);
                search = pos.max(search + n + 1);
                for (leaf, _) in leaves {
                    let (Some(name), Some(abs)) =
                        (leaf.last(), absolute(&f.module, &leaf, &modules))
                    else {
                        continue;
                    };
                    reexports
                        .entry(f.module.clone())
                        .or_default()
                        .insert(name.clone(), abs);
                }
            }
        }
        Tree { modules, reexports }
    }

    /// The module an absolute path reaches: its longest prefix that is a module, followed
    /// through a `pub use` of the next name (bounded).
    fn resolve(&self, path: &[String]) -> ModPath {
        let mut path = path.to_vec();
        for _ in 0..8 {
            let k = (0..=path.len())
                .rev()
                .find(|&k| self.modules.contains(&path[..k]))
                .unwrap_or(0);
            let module = path[..k].to_vec();
            let next = path
                .get(k)
                .and_then(|name| self.reexports.get(&module)?.get(name));
            match next {
                Some(target) if *target != path[..=k] => {
                    let mut again = target.clone();
                    again.extend(path[k + 1..].iter().cloned());
                    path = again;
                }
                _ => return module,
            }
        }
        path
    }
}

fn layer_of<'a>(layers: &'a [Layer], module: &[String]) -> Option<&'a Layer> {
    layers
        .iter()
        .flat_map(|l| l.modules.iter().map(move |m| (l, m)))
        .filter(|(_, m)| module.starts_with(m))
        .max_by_key(|(_, m)| m.len())
        .map(|(l, _)| l)
}

/// One path in one file, resolved to the module it reaches.
struct Reference {
    file: usize,
    line: usize,
    written: String,
    target: ModPath,
}

/// Every `crate::`/`super::` path of the tree that reaches another module.
fn references(files: &[SourceFile]) -> Vec<Reference> {
    let tree = Tree::new(files);
    let mut out = Vec::new();
    for (file, f) in files.iter().enumerate() {
        let inline = inline_modules(&f.code);
        for w in written_paths(&f.code) {
            // `super` counts from the innermost inline module around the path.
            let mut here = f.module.clone();
            for (start, end, name) in &inline {
                if (*start..*end).contains(&w.offset) {
                    here.push(name.clone());
                }
            }
            let Some(abs) = absolute(&here, &w.segments, &tree.modules) else {
                continue;
            };
            let target = tree.resolve(&abs);
            // The module itself, or the crate root (`#[macro_export]` macros live there).
            if target == f.module || target.is_empty() {
                continue;
            }
            out.push(Reference {
                file,
                line: f.code[..w.offset].matches('\n').count() + 1,
                written: w.segments.join("::"),
                target,
            });
        }
    }
    out
}

/// The imports against the rule (one message each), and how many paths were checked.
fn violations(files: &[SourceFile], layers: &[Layer]) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    for f in files {
        if !f.module.is_empty() && layer_of(layers, &f.module).is_none() {
            out.push(format!(
                "{}: module {} is in no layer of docs/architecture.md's table: add it there",
                f.path.display(),
                f.module.join("::")
            ));
        }
    }
    let refs = references(files);
    for r in &refs {
        let f = &files[r.file];
        // lib.rs holds only the module list.
        let Some(own) = layer_of(layers, &f.module) else {
            continue;
        };
        match layer_of(layers, &r.target) {
            None => out.push(format!(
                "{}:{}: `{}` reaches {}, which is in no layer of docs/architecture.md's table",
                f.path.display(),
                r.line,
                r.written,
                r.target.join("::")
            )),
            Some(t) if t.rank > own.rank => out.push(format!(
                "{}:{}: `{}` reaches {} (layer {} {}) from {} (layer {} {}): a module may \
                 use only its own layer and the layers below (docs/architecture.md)",
                f.path.display(),
                r.line,
                r.written,
                r.target.join("::"),
                t.rank,
                t.name,
                f.module.join("::"),
                own.rank,
                own.name
            )),
            Some(_) => {}
        }
    }
    (out, refs.len())
}

/// Import cycles among files (strongly connected components of more than one file) that
/// span more than one top-level module: a cycle inside one module is that module's business.
fn cycles_across_modules(files: &[SourceFile]) -> Vec<Vec<String>> {
    let mut graph: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for f in files {
        graph.entry(f.module.clone()).or_default();
    }
    for r in references(files) {
        graph
            .entry(files[r.file].module.clone())
            .or_default()
            .insert(r.target.clone());
        graph.entry(r.target).or_default();
    }
    // Tarjan's algorithm; the graph has a few hundred nodes, so recursion depth is bounded.
    struct State<'g> {
        graph: &'g BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<&'g ModPath, usize>,
        low: BTreeMap<&'g ModPath, usize>,
        stack: Vec<&'g ModPath>,
        on_stack: BTreeSet<&'g ModPath>,
        found: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g ModPath) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.graph[v] {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.join("::"));
                if w == v {
                    break;
                }
            }
            let tops: BTreeSet<&str> = component
                .iter()
                .map(|m| m.split("::").next().unwrap_or(""))
                .collect();
            if tops.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        graph: &graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v) {
            visit(&mut state, v);
        }
    }
    state.found
}

fn page() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md"))
        .expect("docs/architecture.md")
}

#[test]
fn every_import_points_down_the_layers() {
    let layers = layers_from_page(&page());
    assert!(
        layers.len() >= 5,
        "docs/architecture.md's layer table has {} rows",
        layers.len()
    );
    let files = read_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let (bad, checked) = violations(&files, &layers);
    assert!(
        bad.is_empty(),
        "{} import(s) against the layers:\n{}",
        bad.len(),
        bad.join("\n")
    );
    // The scan saw the tree's imports (not an empty or misread src/).
    assert!(checked > 500, "only {checked} cross-module paths found");
}

#[test]
fn no_import_cycle_spans_two_modules() {
    let files = read_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let cycles = cycles_across_modules(&files);
    assert!(
        cycles.is_empty(),
        "import cycles across modules (each line: files that reach one another):\n{}",
        cycles
            .iter()
            .map(|c| c.join(" -> "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Small modules: a file that grows past this is split by what its parts do (see the page).
const MAX_FILE_LINES: usize = 600;

#[test]
fn no_source_file_is_over_600_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![root.clone()];
    let mut long = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let lines = std::fs::read_to_string(&path).unwrap().lines().count();
                if lines > MAX_FILE_LINES {
                    long.push(format!("{} ({lines} lines)", path.display()));
                }
            }
        }
    }
    assert!(
        page().contains("No source file is over 600 lines"),
        "the rule is stated on the page"
    );
    assert!(long.is_empty(), "over {MAX_FILE_LINES} lines: {long:?}");
}

#[test]
fn the_table_names_every_layer_once_in_rank_order() {
    let layers = layers_from_page(&page());
    let ranks: Vec<usize> = layers.iter().map(|l| l.rank).collect();
    assert_eq!(ranks, (0..layers.len()).collect::<Vec<_>>());
    let mut seen = BTreeSet::new();
    for m in layers.iter().flat_map(|l| &l.modules) {
        assert!(seen.insert(m.clone()), "{} is in two layers", m.join("::"));
    }
}

// The checker's own parts, on small inputs.

fn file(path: &str, src: &str) -> SourceFile {
    let rel = Path::new(path).strip_prefix("src").unwrap();
    SourceFile {
        path: PathBuf::from(path),
        module: module_of(rel),
        code: blank_comments_and_strings(src),
    }
}

const PAGE: &str = "\
## Layers
| rank | name | modules | what |
|---|---|---|---|
| 0 | base | `report::finding` | |
| 1 | checks | `spf`, `audit::alignment` | |
| 2 | report | `report` | |
| 3 | run | `audit` | |

## Other
| 9 | ignored | `x` | |
";

#[test]
fn an_upward_import_is_named_with_file_and_line() {
    let layers = layers_from_page(PAGE);
    assert_eq!(layers.len(), 4);
    let files = [
        file(
            "src/report/mod.rs",
            "pub mod finding;\npub use finding::{Finding, Severity};\n",
        ),
        file("src/report/finding.rs", "pub struct Finding;\n"),
        file(
            "src/spf/mod.rs",
            "use crate::report::{Finding, Severity};\n// crate::audit::run in a comment\nconst S: &str = \"crate::audit\";\nfn f() {\n    crate::audit::run();\n}\n",
        ),
        file("src/audit/mod.rs", "pub mod alignment;\npub fn run() {}\n"),
        file(
            "src/audit/alignment.rs",
            "use super::{\n    run as go,\n    super::report::finding::Finding,\n};\n",
        ),
    ];
    let (bad, checked) = violations(&files, &layers);
    assert_eq!(checked, 5, "{bad:?}");
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(
        bad[0].starts_with(
            "src/spf/mod.rs:5: `crate::audit::run` reaches audit (layer 3 run) from spf (layer 1 checks)"
        ),
        "{}",
        bad[0]
    );
    assert!(
        bad[1].starts_with("src/audit/alignment.rs:2: `super::run` reaches audit (layer 3 run)"),
        "{}",
        bad[1]
    );
}

#[test]
fn a_cycle_across_modules_is_found_and_one_inside_a_module_is_not() {
    let files = [
        file(
            "src/report/mod.rs",
            "pub fn render() { crate::audit::run(); }\n",
        ),
        file("src/audit/mod.rs", "pub mod facts;\npub fn run() {}\n"),
        file("src/audit/facts.rs", "use crate::report::render;\n"),
        file("src/dns/zone.rs", "use super::zone_parser::parse;\n"),
        file("src/dns/zone_parser.rs", "use super::zone::Zone;\n"),
        file("src/dns/mod.rs", "pub mod zone;\npub mod zone_parser;\n"),
    ];
    // report -> audit (mod.rs) only; audit::facts -> report: no cycle yet.
    assert!(cycles_across_modules(&files).is_empty());
    let mut files = files.into_iter().collect::<Vec<_>>();
    files[1] = file(
        "src/audit/mod.rs",
        "pub mod facts;\npub fn run() { facts::f(); crate::audit::facts::f(); }\n",
    );
    assert_eq!(
        cycles_across_modules(&files),
        [vec![
            "audit".to_string(),
            "audit::facts".into(),
            "report".into()
        ]]
    );
}

#[test]
fn a_module_outside_the_table_is_an_error() {
    let layers = layers_from_page(PAGE);
    let files = [file("src/newthing.rs", "use crate::spf::x;\n")];
    let (bad, _) = violations(&files, &layers);
    assert_eq!(bad.len(), 1);
    assert!(
        bad[0].contains("module newthing is in no layer"),
        "{}",
        bad[0]
    );
}

#[test]
fn use_groups_expand_to_one_path_per_leaf() {
    let code = "use crate::a::{b, c::{d, e as f}, self};\nfn g() { crate::h::i(); x::crate::no; }";
    let got: Vec<String> = written_paths(code)
        .iter()
        .map(|w| w.segments.join("::"))
        .collect();
    assert_eq!(
        got,
        [
            "crate::a::b",
            "crate::a::c::d",
            "crate::a::c::e",
            "crate::a",
            "crate::h::i"
        ]
    );
}

#[test]
fn comments_and_literals_are_blanked_lines_kept() {
    let src = "a // crate::x\nb /* crate::y\n */ c \"crate::z\\\"\" r#\"crate::w\"# '\"' 'a d\n";
    let code = blank_comments_and_strings(src);
    assert!(!code.contains("crate"), "{code}");
    assert_eq!(code.lines().count(), src.lines().count());
    assert!(code.contains(" c ") && code.contains("'a d"), "{code}");
}

#[test]
fn super_inside_an_inline_module_counts_from_it() {
    let layers = layers_from_page(PAGE);
    let files = [
        file("src/audit/mod.rs", "pub mod alignment;\npub fn run() {}\n"),
        file(
            "src/audit/alignment.rs",
            "pub fn p() {}\n#[cfg(test)]\nmod tests {\n    use super::p;\n}\n",
        ),
    ];
    let (bad, checked) = violations(&files, &layers);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(checked, 0, "super::p inside mod tests is alignment itself");
}
