//! The module tree's rules, checked on the source: folders of `src/` are layers and
//! each uses only the layers below it, and no two modules use each other, directly or
//! round a longer cycle. ARCHITECTURE.md explains the layers.
//!
//! A "use" is any `crate::…` or `super::…` path in code (comments, doc comments and
//! the `#[cfg(test)]` module at a file's end are skipped: a doc link is not a
//! dependency). Names the crate root re-exports
//! (`crate::WebSocket`) are followed to the module that defines them, using
//! `src/lib.rs`'s `pub use` lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lowest first. `lib.rs` (the facade that re-exports the API) is outside the order.
const LAYERS: &[&str] = &[
    "error",
    "runtime",
    "events",
    "protocol",
    "net",
    "http",
    "websocket",
    "server",
];

fn rank(module: &str) -> usize {
    let layer = module.split("::").next().unwrap();
    LAYERS
        .iter()
        .position(|l| *l == layer)
        .unwrap_or_else(|| panic!("module {module} is in no layer; add its folder to LAYERS"))
}

/// Every module of the crate, as a path (`websocket::connection`), with its source.
fn modules(src: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    files
        .into_iter()
        .filter(|f| f.file_name().unwrap() != "lib.rs")
        .map(|f| {
            let rel = f.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            (parts.join("::"), std::fs::read_to_string(&f).unwrap())
        })
        .collect()
}

/// The code of a file without comments (line comments, doc comments and `/* */`).
fn code_only(source: &str) -> String {
    let mut out = String::new();
    for line in source.lines() {
        let trimmed = line.trim_start();
        // A file's unit tests (at its end, by convention here) use the file itself
        // through `super::*`; they are not part of the module graph.
        if trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        // A trailing comment; string literals holding "//" are rare enough here.
        let code = match line.find(" // ") {
            Some(i) => &line[..i],
            None => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// What `src/lib.rs` re-exports at the root: name -> defining module path.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let code = code_only(lib);
    for stmt in code.split(';') {
        let Some(rest) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let (prefix, names) = match rest.find('{') {
            Some(i) => (
                rest[..i].trim_end_matches("::"),
                rest[i + 1..].trim_end_matches('}'),
            ),
            None => match rest.rfind("::") {
                Some(i) => (&rest[..i], &rest[i + 2..]),
                None => continue,
            },
        };
        for name in names.split(',') {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            let exported = name.rsplit(" as ").next().unwrap().trim();
            map.insert(exported.to_string(), prefix.trim().to_string());
        }
    }
    map
}

/// The modules `source` (module `me`) uses, resolved to known modules.
fn uses(
    me: &str,
    source: &str,
    known: &BTreeSet<String>,
    root: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    let code = code_only(source);
    let mut found = BTreeSet::new();
    let bytes = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    // Paths as written: `crate::a::b::{C, D}` gives "a::b" and the names C, D.
    let mut i = 0;
    while i < code.len() {
        let at = &bytes[i..];
        let (base, skip): (Vec<String>, usize) =
            if at.starts_with(b"crate::") && (i == 0 || !ident(bytes[i - 1])) {
                (Vec::new(), "crate".len())
            } else if at.starts_with(b"super::") && (i == 0 || !ident(bytes[i - 1])) {
                // `super` of a folder's mod.rs is the root; of a file, its folder.
                let mut parts: Vec<String> = me.split("::").map(String::from).collect();
                parts.pop();
                (parts, "super".len())
            } else {
                i += 1;
                continue;
            };
        let mut j = i + skip;
        let mut segments = base;
        let mut names = Vec::new();
        loop {
            let start = j;
            while j < code.len() && ident(bytes[j]) {
                j += 1;
            }
            if j > start {
                segments.push(code[start..j].to_string());
            }
            if bytes[j..].starts_with(b"::{") {
                // A group: take its names, one level deep, as candidates.
                let close = bytes[j..]
                    .iter()
                    .position(|&b| b == b'}')
                    .map_or(code.len(), |k| j + k);
                for name in code[j + 3..close].split(',') {
                    let name = name.trim().split("::").next().unwrap_or("").trim();
                    if !name.is_empty() {
                        names.push(name.to_string());
                    }
                }
                j = close;
                break;
            } else if bytes[j..].starts_with(b"::") && j + 2 < code.len() && ident(bytes[j + 2]) {
                j += 2;
            } else {
                break;
            }
        }
        let mut candidates = vec![segments.clone()];
        for name in names {
            let mut full = segments.clone();
            full.push(name);
            candidates.push(full);
        }
        for path in candidates {
            // A root re-export (`crate::WebSocket`): follow it to its module.
            let path = match path.first() {
                Some(first) if path.len() == 1 && root.contains_key(first) => {
                    root[first].split("::").map(String::from).collect()
                }
                _ => path,
            };
            // The longest prefix that is a module.
            for n in (1..=path.len()).rev() {
                let module = path[..n].join("::");
                if known.contains(&module) {
                    if module != me {
                        found.insert(module);
                    }
                    break;
                }
            }
        }
        i = j.max(i + 1);
    }
    found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules(&src);
    let root = root_reexports(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(me, source)| (me.clone(), uses(me, source, &known, &root)))
        .collect()
}

#[test]
fn layers_are_used_only_downwards() {
    let graph = graph();
    assert!(graph.len() > 20, "found only {} modules", graph.len());
    let mut wrong = Vec::new();
    for (module, used) in &graph {
        for other in used {
            if rank(other) > rank(module) {
                wrong.push(format!("{module} uses {other}, a higher layer"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layer order {LAYERS:?}:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn no_two_modules_use_each_other() {
    let graph = graph();
    // Depth-first search; a back edge is a cycle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in &graph[node] {
            match state.get(next.as_str()) {
                Some(1) => {
                    let from = stack.iter().position(|m| m == next).unwrap();
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(next.clone());
                    cycles.push(cycle.join(" -> "));
                }
                Some(_) => {}
                None => visit(next, graph, state, stack, cycles),
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
    }
    let mut state = BTreeMap::new();
    let mut cycles = Vec::new();
    for node in graph.keys() {
        if !state.contains_key(node) {
            visit(node, &graph, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles:\n  {}",
        cycles.join("\n  ")
    );
}

/// The checks themselves: an upward import and a cycle in made-up sources are found.
#[test]
fn the_checker_finds_an_upward_import_and_a_cycle() {
    let known: BTreeSet<String> = ["events", "server", "websocket", "websocket::connection"]
        .into_iter()
        .map(String::from)
        .collect();
    let root: BTreeMap<String, String> = [("WebSocketServer".to_string(), "server".to_string())]
        .into_iter()
        .collect();
    let events = "use crate::{Error, WebSocketServer};\n/// [`x`](crate::websocket::connection)\n";
    assert_eq!(
        uses("events", events, &known, &root),
        BTreeSet::from(["server".to_string()]),
        "a root re-export is followed; a doc link is not a use"
    );
    assert!(rank("server") > rank("events"));
    let connection = "use super::{WebSocket, Shared};\nfn f() { crate::events::emit(); }\n";
    assert_eq!(
        uses("websocket::connection", connection, &known, &root),
        BTreeSet::from(["events".to_string(), "websocket".to_string()])
    );
}
