//! The SVGs parse as XML, carry a title and a description, and no colour is
//! the only carrier of meaning: every coloured mark has a title or a label.

mod common;

use attune_insights::plot::data::PlotData;
use attune_insights::plot::svg::{render, SvgOptions, GREY, LEVELS};
use attune_insights::plot::Plot;
use attune_insights::{insights, Journal, Options};

#[test]
fn every_svg_is_accessible_xml() {
    let mut entries = common::fixture();
    // A hostile name: markup and control characters must not break the XML.
    entries[1].people = ["<b>Ana & \"co\"\u{1b}[31m".to_string()].into();
    let all = insights(&entries, common::NOW, &Options::default());
    let data = PlotData::new(&Journal::new(&entries, common::NOW), &all);
    let options = SvgOptions {
        footer: Some("If today is heavy: `attune crisis`".into()),
    };
    for plot in Plot::ALL {
        let text = render(plot, &data, &options);
        let doc =
            roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", plot.key()));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("role"), Some("img"));
        let child = |name: &str| root.children().find(|n| n.tag_name().name() == name);
        assert_eq!(child("title").and_then(|t| t.text()), Some(plot.title()));
        assert!(child("desc")
            .and_then(|d| d.text())
            .is_some_and(|d| d.len() > 40));
        assert!(
            text.contains("attune crisis"),
            "{}: the crisis pointer",
            plot.key()
        );
        let mut coloured = 0;
        for node in root
            .descendants()
            .filter(|n| matches!(n.tag_name().name(), "rect" | "circle"))
        {
            let fill = node.attribute("fill").unwrap_or_default();
            if LEVELS.contains(&fill) || fill == GREY || fill.starts_with("url(") {
                coloured += 1;
                let titled = node.children().any(|c| {
                    c.tag_name().name() == "title" && c.text().is_some_and(|t| !t.is_empty())
                });
                assert!(
                    titled,
                    "{}: a coloured mark without words: {node:?}",
                    plot.key()
                );
            }
        }
        assert!(coloured > 0, "{} draws something", plot.key());
        for red_or_green in ["#ff0000", "#00ff00", "red", "green"] {
            assert!(
                !text.contains(&format!("\"{red_or_green}\"")),
                "{}",
                plot.key()
            );
        }
    }
}
