//! The shape of `src/`: dependencies point one way, and every label a visitor reads in the
//! consent controls is spelled once.
#![cfg(feature = "ssr")]

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};
use syn::visit::Visit;

/// Every file of the library, by module path (`""` for `lib.rs`, `"consent::form"` …).
fn modules() -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let mut module = prefix.to_vec();
            if path.is_dir() {
                module.push(stem);
                walk(&path, &module, out);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || stem == "main" {
                continue;
            }
            if stem != "mod" && stem != "lib" {
                module.push(stem);
            }
            out.insert(module.join("::"), path);
        }
    }
    let mut out = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut out,
    );
    out
}

/// Collects the module paths a file names through `crate::`, `super::` and `self::`.
struct Imports {
    /// The module the visitor is in: the file's, plus any inline modules around it.
    module: Vec<String>,
    found: BTreeSet<Vec<String>>,
}

impl Imports {
    fn resolve(&mut self, segments: &[String]) {
        let mut path = match segments.first().map(String::as_str) {
            Some("crate") => vec![],
            Some("super") | Some("self") => self.module.clone(),
            _ => return,
        };
        let mut rest = &segments[1..];
        if segments[0] == "super" {
            path.pop();
            while rest.first().is_some_and(|s| s == "super") {
                path.pop();
                rest = &rest[1..];
            }
        }
        path.extend(rest.iter().cloned());
        self.found.insert(path);
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.resolve(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.resolve(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.resolve(&prefix.clone()),
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Imports {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.resolve(&segments);
        syn::visit::visit_path(self, path);
    }

    /// `pub(crate)` and `pub(super)` name who may see an item, not what it uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.module.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.module.pop();
    }
}

/// file → the files it imports from (by the longest module path that is a file).
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut graph = BTreeMap::new();
    for (module, path) in &modules {
        let file = syn::parse_file(&fs::read_to_string(path).unwrap()).unwrap();
        let module_path: Vec<String> = if module.is_empty() {
            vec![]
        } else {
            module.split("::").map(str::to_string).collect()
        };
        let mut imports = Imports {
            module: module_path,
            found: BTreeSet::new(),
        };
        imports.visit_file(&file);
        let targets = imports
            .found
            .iter()
            .filter_map(|path| {
                (0..=path.len())
                    .rev()
                    .map(|n| path[..n].join("::"))
                    .find(|prefix| modules.contains_key(prefix))
            })
            .filter(|target| target != module)
            .collect();
        graph.insert(module.clone(), targets);
    }
    graph
}

fn name(module: &str) -> &str {
    if module.is_empty() {
        "lib"
    } else {
        module
    }
}

#[test]
fn no_file_imports_one_that_imports_it_back() {
    let graph = import_graph();
    assert!(graph.len() > 25, "{graph:?}");
    // Depth-first search; a grey node met again closes a loop.
    fn visit<'a>(
        node: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, bool>,
        stack: &mut Vec<&'a str>,
        loops: &mut Vec<String>,
    ) {
        state.insert(node, false);
        stack.push(node);
        for next in &graph[node] {
            match state.get(next.as_str()) {
                None => visit(next, graph, state, stack, loops),
                Some(false) => {
                    let start = stack.iter().position(|n| n == next).unwrap();
                    let mut cycle: Vec<&str> = stack[start..].iter().map(|n| name(n)).collect();
                    cycle.push(name(next));
                    loops.push(cycle.join(" → "));
                }
                Some(true) => {}
            }
        }
        stack.pop();
        state.insert(node, true);
    }
    let mut state = BTreeMap::new();
    let mut loops = Vec::new();
    for node in graph.keys() {
        if !state.contains_key(node.as_str()) {
            visit(node, &graph, &mut state, &mut Vec::new(), &mut loops);
        }
    }
    assert!(loops.is_empty(), "import cycles:\n{}", loops.join("\n"));
}

/// Each top-level module's layer, from the leaves up: a module imports only from its own layer
/// or below.
fn layer(module: &str) -> u8 {
    match module.split("::").next().unwrap() {
        "catalog" | "wording" | "notice" | "date" | "config" | "assets" | "analytics" => 1,
        // The decision and its rules: nothing of the site but leaves.
        "consent" => 2,
        "receipts" => 3,
        // What the application state holds.
        "stats" | "render_cache" | "csp" => 4,
        "state" => 5,
        // A save, as a use case: above the state, the log and the counters it uses.
        "save" => 6,
        "components" => 7,
        "app" | "routes" | "content" => 8,
        "main" | "server" | "cli" => 9,
        other => panic!("`{other}` has no layer: add it to `layer`"),
    }
}

#[test]
fn the_layers_point_one_way() {
    let graph = import_graph();
    let mut wrong = Vec::new();
    for (from, targets) in &graph {
        for to in targets {
            if !from.is_empty() && !to.is_empty() && layer(to) > layer(from) {
                wrong.push(format!("{} → {}", name(from), name(to)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_consent_core_imports_nothing_but_leaves() {
    let graph = import_graph();
    let outside: Vec<String> = graph
        .iter()
        .filter(|(from, _)| from.starts_with("consent"))
        .flat_map(|(from, targets)| targets.iter().map(move |to| (from, to)))
        .filter(|(_, to)| !to.starts_with("consent") && layer(to) != 1)
        .map(|(from, to)| format!("{from} → {to}"))
        .collect();
    assert!(
        outside.is_empty(),
        "consent/ imports:\n{}",
        outside.join("\n")
    );
}

/// No two folders (top-level modules) import each other, even through other files.
#[test]
fn no_folder_imports_one_that_imports_it_back() {
    let top = |module: &str| module.split("::").next().unwrap().to_string();
    let mut folders: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in import_graph() {
        let entry = folders.entry(top(&from)).or_default();
        entry.extend(
            targets
                .iter()
                .map(|to| top(to))
                .filter(|to| *to != top(&from)),
        );
    }
    // Everything a folder reaches; a folder that reaches itself is in a loop.
    for start in folders.keys() {
        let mut seen = BTreeSet::new();
        let mut next: Vec<&String> = folders[start].iter().collect();
        while let Some(folder) = next.pop() {
            assert_ne!(
                folder,
                start,
                "{} is in an import loop of folders",
                name(start)
            );
            if seen.insert(folder.clone()) {
                next.extend(folders.get(folder).into_iter().flatten());
            }
        }
    }
}

/// The string literals a file's code holds, inside macros such as `view!` too; doc comments
/// and other attributes are not code.
#[derive(Default)]
struct Literals(Vec<String>);

impl Literals {
    fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
        for tree in tokens {
            match tree {
                proc_macro2::TokenTree::Group(group) => self.tokens(group.stream()),
                proc_macro2::TokenTree::Literal(literal) => {
                    if let Ok(text) = syn::parse_str::<syn::LitStr>(&literal.to_string()) {
                        self.0.push(text.value());
                    }
                }
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for Literals {
    fn visit_lit_str(&mut self, literal: &'ast syn::LitStr) {
        self.0.push(literal.value());
    }

    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
    }
}

#[test]
fn each_consent_label_is_spelled_once_in_src() {
    fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Object(fields) => fields.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let mut labels = Vec::new();
    strings(
        &serde_json::to_value(&leadistry::wording::WORDING).unwrap(),
        &mut labels,
    );
    let literals: Vec<(String, Vec<String>)> = modules()
        .into_iter()
        .map(|(module, path)| {
            let file = syn::parse_file(&fs::read_to_string(&path).unwrap()).unwrap();
            let mut literals = Literals::default();
            literals.visit_file(&file);
            (name(&module).to_string(), literals.0)
        })
        .collect();
    for label in labels {
        let places: Vec<&str> = literals
            .iter()
            .flat_map(|(module, texts)| {
                texts
                    .iter()
                    .filter(|text| text.trim() == label.trim())
                    .map(move |_| module.as_str())
            })
            .collect();
        assert_eq!(places, ["wording"], "{label:?} is written in {places:?}");
    }
}

#[test]
fn literals_are_found_in_views_and_not_in_comments() {
    let file = syn::parse_file(
        r#"
        /// "Accept" in a comment
        fn view() { let a = "Save"; view! { <button>"Accept all"</button> } }
        "#,
    )
    .unwrap();
    let mut literals = Literals::default();
    literals.visit_file(&file);
    assert_eq!(literals.0, ["Save", "Accept all"]);
}
