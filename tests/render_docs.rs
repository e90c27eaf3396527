//! docs/codes.md is generated from the code catalogue; this keeps the committed page
//! complete as codes are added. `UPDATE_DOCS=1 cargo test --test render_docs` rewrites it.

use mailpreflight::report::explain::codes_markdown;
use std::path::PathBuf;

#[test]
fn codes_page_matches_the_catalogue() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/codes.md");
    let generated = codes_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/codes.md is out of date with the code catalogue: run `UPDATE_DOCS=1 cargo test --test render_docs` and commit it"
    );
}
