//! Charts as SVG drawn on the server (plotters' SVG backend): they show
//! without JavaScript, print, and carry a title and a table beside them for
//! those who cannot see them.

use plotters::prelude::*;

/// One line of a chart: its name and a value (0–100, or none) per month.
pub struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<Option<f64>>,
    pub color: RGBColor,
}

pub const RESPONSES: RGBColor = RGBColor(163, 20, 27);
pub const NOTICES: RGBColor = RGBColor(11, 79, 156);

/// Percentages by month (1–12) as a line chart.
pub fn monthly_rates(title: &str, series: &[Series<'_>]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 300)).into_drawing_area();
        let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(30)
                .y_label_area_size(44)
                .build_cartesian_2d(1u32..12u32, 0f64..100f64)?;
            chart
                .configure_mesh()
                .x_labels(12)
                .y_labels(6)
                .x_label_formatter(&|m| format!("T{m}"))
                .y_label_formatter(&|v| format!("{v:.0}%"))
                .light_line_style(RGBColor(235, 235, 235))
                .draw()?;
            for s in series {
                let points: Vec<(u32, f64)> =
                    s.values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i as u32 + 1, v))).collect();
                let color = s.color;
                chart
                    .draw_series(LineSeries::new(points.clone(), color.stroke_width(3)))?
                    .label(s.name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
                chart.draw_series(points.into_iter().map(|p| Circle::new(p, 4, color.filled())))?;
            }
            chart.configure_series_labels().background_style(WHITE.mix(0.9)).border_style(BLACK).draw()?;
            root.present()?;
            Ok(())
        })();
        if let Err(error) = drawn {
            tracing::warn!(error = %error, "a chart could not be drawn");
        }
    }
    // Named for assistive technology; the table beside it has the numbers.
    svg.replacen("<svg ", &format!("<svg role=\"img\" aria-label=\"{}\" ", escape(title)), 1)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_an_svg_with_its_title_and_lines() {
        let svg = monthly_rates(
            "Tỷ lệ đúng hạn",
            &[Series { name: "R10.3", values: vec![Some(80.0), None, Some(50.0)], color: RESPONSES }],
        );
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"Tỷ lệ đúng hạn\""), "{}", &svg[..200.min(svg.len())]);
        assert!(svg.contains("Tỷ lệ đúng hạn") && svg.contains("R10.3"));
        assert!(svg.contains("<polyline") || svg.contains("<path"), "a line is drawn");
    }
}
