//! Golden tests: every terminal plot, every SVG, the text of every area and the
//! `--json` shape, on the fixed small journal. `UPDATE_GOLDEN=1 cargo test -p
//! attune-insights --test golden` rewrites `tests/golden/` after a deliberate change.

mod common;

use std::path::PathBuf;

use attune_insights::plot::data::PlotData;
use attune_insights::plot::svg::SvgOptions;
use attune_insights::plot::terminal::Style;
use attune_insights::plot::{svg, terminal, Plot};
use attune_insights::{insights, Area, Journal, Options};

fn check(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing: run with UPDATE_GOLDEN=1", path.display()));
    assert!(
        expected == actual,
        "{name} differs from {} (UPDATE_GOLDEN=1 rewrites it after a deliberate change):\n{actual}",
        path.display()
    );
}

#[test]
fn plots_areas_and_json_match_their_golden_files() {
    let entries = common::fixture();
    let all = insights(&entries, common::NOW, &Options::default());
    let data = PlotData::new(&Journal::new(&entries, common::NOW), &all);
    let style = Style {
        width: 80,
        color: false,
    };
    let footer = SvgOptions {
        footer: Some("If you are in crisis: `attune crisis`".into()),
    };
    for plot in Plot::ALL {
        check(
            &format!("{}.txt", plot.key()),
            &terminal::render(plot, &data, &style),
        );
        check(
            &format!("{}.svg", plot.key()),
            &svg::render(plot, &data, &footer),
        );
    }
    let text: Vec<String> = Area::ALL.iter().flat_map(|a| all.lines(*a)).collect();
    check("areas.txt", &(text.join("\n") + "\n"));
    check(
        "insights.json",
        &(serde_json::to_string_pretty(&all).expect("json") + "\n"),
    );
}
