//! A bar chart drawn as SVG on the server, so it reads without JavaScript: a `<figure>` with
//! a titled and described `<svg role="img">`, labelled axes, one `<rect class="bar">` per
//! point (each with a native `<title>` tooltip and `data-*` attributes), and every value
//! again in a table under "Show as table" for screen readers and copying.
//!
//! Once hydrated, pointing at a column (or focusing the chart and using the arrow keys)
//! highlights it, shows a tooltip and writes the point's figures into a polite live region.
use crate::components::table::fmt_int;
use chrono::{Datelike, NaiveDate, Weekday};
use leptos::prelude::*;

/// One bar: its label on the x axis (a "YYYY-MM-DD" day gets date-aware ticks), its value,
/// and what else to say about it in the tooltip and table ("12 windows").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartPoint {
    pub label: String,
    pub value: i64,
    pub detail: String,
}

impl ChartPoint {
    pub fn new(label: impl Into<String>, value: i64, detail: impl Into<String>) -> Self {
        ChartPoint { label: label.into(), value, detail: detail.into() }
    }
}

/// The y axis: its top (a "nice" round number at or above the largest value) and the
/// distance between ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    pub top: i64,
    pub step: i64,
}

impl Scale {
    /// Tick values from 0 to `top`.
    pub fn ticks(&self) -> Vec<i64> {
        (0..=self.top / self.step).map(|k| k * self.step).collect()
    }
}

/// The smallest scale with steps of 1, 2 or 5 times a power of ten that holds `max` in at
/// most `max_ticks` steps. An all-zero series still gets an axis (0 to `max_ticks`).
pub fn nice_scale(max: i64, max_ticks: i64) -> Scale {
    let max_ticks = max_ticks.max(1);
    if max <= 0 {
        return Scale { top: max_ticks, step: 1 };
    }
    let mut magnitude: i64 = 1;
    loop {
        for m in [1, 2, 5] {
            let step = m * magnitude;
            let steps = max / step + i64::from(max % step != 0);
            if steps <= max_ticks {
                if let Some(top) = steps.checked_mul(step) {
                    return Scale { top, step };
                }
            }
        }
        match magnitude.checked_mul(10) {
            Some(next) => magnitude = next,
            None => return Scale { top: max, step: max },
        }
    }
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn month_name(d: NaiveDate) -> &'static str {
    MONTHS[d.month0() as usize]
}

/// Every `k`-th item so that at most `max` remain (the first always kept).
fn thin<T: Clone>(items: &[T], max: usize) -> Vec<T> {
    let max = max.max(1);
    let k = items.len().div_ceil(max).max(1);
    items.iter().step_by(k).cloned().collect()
}

/// Which points get a label on the x axis, and the text of each, so labels never crowd:
/// for days, every day of a short range, Mondays of a range up to three months ("Nov 3"),
/// first days of months beyond that ("Nov", with the year on the first and on January);
/// other labels every k-th. At most `max` labels (month names, being short, 1.5 × `max`).
pub fn x_ticks(labels: &[String], max: usize) -> Vec<(usize, String)> {
    let max = max.max(1);
    let dates: Option<Vec<NaiveDate>> =
        labels.iter().map(|l| NaiveDate::parse_from_str(l, "%Y-%m-%d").ok()).collect();
    let Some(dates) = dates.filter(|d| !d.is_empty()) else {
        let all: Vec<usize> = (0..labels.len()).collect();
        return thin(&all, max).into_iter().map(|i| (i, labels[i].clone())).collect();
    };
    let day_text = |i: usize| format!("{} {}", month_name(dates[i]), dates[i].day());
    let n = dates.len();
    if n <= max {
        return (0..n).map(|i| (i, day_text(i))).collect();
    }
    if n <= 92 {
        let mondays: Vec<usize> = (0..n).filter(|&i| dates[i].weekday() == Weekday::Mon).collect();
        if !mondays.is_empty() {
            return thin(&mondays, max).into_iter().map(|i| (i, day_text(i))).collect();
        }
    } else {
        let firsts: Vec<usize> = (0..n).filter(|&i| dates[i].day() == 1).collect();
        if !firsts.is_empty() {
            let picked = thin(&firsts, max + max / 2);
            return picked
                .iter()
                .enumerate()
                .map(|(k, &i)| {
                    let d = dates[i];
                    let text = if k == 0 || d.month() == 1 {
                        format!("{} {}", month_name(d), d.year())
                    } else {
                        month_name(d).to_string()
                    };
                    (i, text)
                })
                .collect();
        }
    }
    let all: Vec<usize> = (0..n).collect();
    thin(&all, max).into_iter().map(|i| (i, day_text(i))).collect()
}

/// "1 token" / "84 tokens" for a plural unit.
pub fn with_unit(value: i64, unit: &str) -> String {
    if value == 1 {
        format!("1 {}", unit.strip_suffix('s').unwrap_or(unit))
    } else {
        format!("{} {unit}", fmt_int(value))
    }
}

/// What the tooltip, the native `<title>` and the live readout say about one point.
fn point_text(p: &ChartPoint, unit: &str) -> String {
    if p.detail.is_empty() {
        format!("{}: {}", p.label, with_unit(p.value, unit))
    } else {
        format!("{}: {}, {}", p.label, with_unit(p.value, unit), p.detail)
    }
}

// Geometry, in viewBox units; the SVG scales to the width of its container.
const W: f64 = 760.0;
const H: f64 = 260.0;
const MARGIN_LEFT: f64 = 56.0;
const MARGIN_RIGHT: f64 = 12.0;
const MARGIN_TOP: f64 = 14.0;
const MARGIN_BOTTOM: f64 = 46.0;
const PLOT_W: f64 = W - MARGIN_LEFT - MARGIN_RIGHT;
const PLOT_H: f64 = H - MARGIN_TOP - MARGIN_BOTTOM;
const BASELINE: f64 = MARGIN_TOP + PLOT_H;

fn f(v: f64) -> String {
    format!("{v:.2}")
}

/// A server-rendered SVG bar chart with a table fallback.
#[component]
pub fn BarChart(
    /// Prefix for the element ids inside the chart (unique on the page).
    #[prop(into)]
    id: String,
    /// Shown as the caption and as the SVG's `<title>`.
    #[prop(into)]
    title: String,
    /// The SVG's `<desc>`: the chart's message in a sentence (totals, peak).
    #[prop(into)]
    desc: String,
    #[prop(into)] y_label: String,
    #[prop(into)] x_label: String,
    /// Plural unit of the values ("tokens").
    #[prop(into)]
    unit: String,
    /// Column headings of the table view.
    #[prop(into)]
    label_heading: String,
    #[prop(into)] detail_heading: String,
    points: Vec<ChartPoint>,
    #[prop(optional, into)] testid: Option<String>,
) -> impl IntoView {
    let n = points.len();
    let max = points.iter().map(|p| p.value).max().unwrap_or(0);
    let scale = nice_scale(max, 5);
    let slot = if n == 0 { PLOT_W } else { PLOT_W / n as f64 };
    let bar_w = if slot > 8.0 { slot * 0.7 } else { slot * 0.85 };
    let x_of = move |i: usize| MARGIN_LEFT + slot * i as f64;
    let h_of = move |v: i64| {
        let h = v.max(0) as f64 / scale.top as f64 * PLOT_H;
        if v > 0 {
            h.max(1.0)
        } else {
            0.0
        }
    };
    let labels: Vec<String> = points.iter().map(|p| p.label.clone()).collect();
    let (title_id, desc_id, readout_id) =
        (format!("{id}-title"), format!("{id}-desc"), format!("{id}-readout"));
    let texts: Vec<String> = points.iter().map(|p| point_text(p, &unit)).collect();
    let value_heading = {
        let mut c = unit.chars();
        c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
    };
    let tips = StoredValue::new(texts.clone());
    let values = StoredValue::new(points.iter().map(|p| p.value).collect::<Vec<_>>());

    // Interactivity only once hydrated: the chart is focusable, the hint shows.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let hovered: RwSignal<Option<usize>> = RwSignal::new(None);

    let on_over = move |ev: leptos::ev::MouseEvent| {
        let target = event_target::<leptos::web_sys::Element>(&ev);
        if let Some(i) = target.get_attribute("data-i").and_then(|s| s.parse::<usize>().ok()) {
            hovered.set(Some(i));
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if n == 0 {
            return;
        }
        let cur = hovered.get_untracked();
        let next = match ev.key().as_str() {
            "ArrowRight" | "ArrowUp" => Some(cur.map_or(0, |i| (i + 1).min(n - 1))),
            "ArrowLeft" | "ArrowDown" => Some(cur.map_or(n - 1, |i| i.saturating_sub(1))),
            "Home" => Some(0),
            "End" => Some(n - 1),
            "Escape" => {
                hovered.set(None);
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        hovered.set(next);
    };

    let grid = scale
        .ticks()
        .into_iter()
        .map(|t| {
            let y = BASELINE - t as f64 / scale.top as f64 * PLOT_H;
            view! {
                <line class="grid" x1=f(MARGIN_LEFT) x2=f(W - MARGIN_RIGHT) y1=f(y) y2=f(y)></line>
                <text class="tick y-tick" x=f(MARGIN_LEFT - 8.0) y=f(y + 4.0) text-anchor="end">{fmt_int(t)}</text>
            }
        })
        .collect_view();
    let x_labels = x_ticks(&labels, (PLOT_W / 72.0) as usize)
        .into_iter()
        .map(|(i, text)| {
            let x = x_of(i) + slot / 2.0;
            view! {
                <line class="tick-mark" x1=f(x) x2=f(x) y1=f(BASELINE) y2=f(BASELINE + 4.0)></line>
                <text class="tick x-tick" x=f(x) y=f(BASELINE + 18.0) text-anchor="middle">{text}</text>
            }
        })
        .collect_view();
    let hits = (0..n)
        .map(|i| {
            view! {
                <rect class="hit" data-i=i x=f(x_of(i)) y=f(MARGIN_TOP) width=f(slot) height=f(PLOT_H)></rect>
            }
        })
        .collect_view();
    let bars = points
        .iter()
        .zip(texts.iter())
        .enumerate()
        .map(|(i, (p, text))| {
            let h = h_of(p.value);
            view! {
                <rect class="bar" data-i=i data-day=p.label.clone() data-value=p.value
                    x=f(x_of(i) + (slot - bar_w) / 2.0) y=f(BASELINE - h) width=f(bar_w) height=f(h)>
                    <title>{text.clone()}</title>
                </rect>
            }
        })
        .collect_view();
    let band = move || {
        let i = hovered.get().unwrap_or(0);
        (f(x_of(i)), if hovered.get().is_some() { "visible" } else { "hidden" })
    };
    let tip_style = move || match hovered.get() {
        Some(i) => {
            let v = values.with_value(|vs| vs.get(i).copied().unwrap_or(0));
            let left = (x_of(i) + slot / 2.0) / W * 100.0;
            let top = (BASELINE - h_of(v)) / H * 100.0;
            // Centred over the bar, but kept inside the chart near either edge.
            let shift = if left > 75.0 {
                "-100%"
            } else if left < 25.0 {
                "0%"
            } else {
                "-50%"
            };
            format!("left: {left:.2}%; top: {top:.2}%; transform: translate({shift}, calc(-100% - 8px));")
        }
        None => String::new(),
    };
    let tip_text = move || hovered.get().and_then(|i| tips.with_value(|t| t.get(i).cloned()));

    let rows = points
        .into_iter()
        .map(|p| {
            view! {
                <tr>
                    <td>{p.label}</td>
                    <td class="num">{fmt_int(p.value)}</td>
                    <td>{p.detail}</td>
                </tr>
            }
        })
        .collect_view();
    let labelled_by = format!("{title_id} {desc_id}");
    let y_mid = MARGIN_TOP + PLOT_H / 2.0;
    view! {
        <figure class="chart" data-testid=testid data-points=n>
            <figcaption class="chart-caption">{title.clone()}</figcaption>
            <div class="chart-plot"
                tabindex=move || hydrated.get().then_some("0")
                role=move || hydrated.get().then_some("group")
                aria-label=move || hydrated.get().then(|| format!("{title}: use the arrow keys to read each bar"))
                aria-describedby=readout_id.clone()
                on:keydown=on_key
                on:blur=move |_| hovered.set(None)>
                <svg viewBox=format!("0 0 {W} {H}") role="img" aria-labelledby=labelled_by
                    preserveAspectRatio="xMidYMid meet"
                    on:mouseover=on_over on:mouseleave=move |_| hovered.set(None)>
                    <title id=title_id>{title.clone()}</title>
                    <desc id=desc_id>{desc}</desc>
                    <g class="axes" aria-hidden="true">
                        {grid}
                        <line class="axis" x1=f(MARGIN_LEFT) x2=f(W - MARGIN_RIGHT) y1=f(BASELINE) y2=f(BASELINE)></line>
                        {x_labels}
                        <text class="axis-label" x="14" y=f(y_mid) text-anchor="middle"
                            transform=format!("rotate(-90 14 {})", f(y_mid))>{y_label}</text>
                        <text class="axis-label" x=f(MARGIN_LEFT + PLOT_W / 2.0) y=f(H - 6.0) text-anchor="middle">{x_label}</text>
                    </g>
                    <rect class="band" x=move || band().0 y=f(MARGIN_TOP) width=f(slot) height=f(PLOT_H)
                        visibility=move || band().1></rect>
                    <g class="hits">{hits}</g>
                    <g class="bars">{bars}</g>
                </svg>
                <div class="chart-tip" aria-hidden="true" hidden=move || hovered.get().is_none() style=tip_style>
                    {tip_text}
                </div>
            </div>
            <p class="chart-readout" id=readout_id aria-live="polite">
                {move || match tip_text() {
                    Some(t) => t,
                    None if hydrated.get() => "Point at a bar, or focus the chart and use the arrow keys, to read its figures.".to_string(),
                    None => String::new(),
                }}
            </p>
            <details class="chart-table">
                <summary>"Show as table"</summary>
                <table class="table">
                    <thead><tr>
                        <th scope="col">{label_heading}</th>
                        <th scope="col" class="num">{value_heading}</th>
                        <th scope="col">{detail_heading}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(from: &str, n: i64) -> Vec<String> {
        let start = NaiveDate::parse_from_str(from, "%Y-%m-%d").unwrap();
        (0..n).map(|k| (start + chrono::Duration::days(k)).format("%Y-%m-%d").to_string()).collect()
    }

    #[test]
    fn nice_scale_rounds_up_to_one_two_five_steps() {
        assert_eq!(nice_scale(0, 5), Scale { top: 5, step: 1 });
        assert_eq!(nice_scale(-3, 5), Scale { top: 5, step: 1 });
        assert_eq!(nice_scale(1, 5), Scale { top: 1, step: 1 });
        assert_eq!(nice_scale(5, 5), Scale { top: 5, step: 1 });
        assert_eq!(nice_scale(7, 5), Scale { top: 8, step: 2 });
        assert_eq!(nice_scale(84, 5), Scale { top: 100, step: 20 });
        assert_eq!(nice_scale(100, 5), Scale { top: 100, step: 20 });
        assert_eq!(nice_scale(101, 5), Scale { top: 150, step: 50 });
        assert_eq!(nice_scale(2_340, 5), Scale { top: 2_500, step: 500 });
        assert_eq!(nice_scale(999_999, 5), Scale { top: 1_000_000, step: 200_000 });
        assert_eq!(nice_scale(i64::MAX, 5).top, i64::MAX);
    }

    #[test]
    fn scale_ticks_run_from_zero_to_top() {
        assert_eq!(nice_scale(84, 5).ticks(), vec![0, 20, 40, 60, 80, 100]);
        assert_eq!(nice_scale(0, 4).ticks(), vec![0, 1, 2, 3, 4]);
        for max in [1, 3, 9, 11, 47, 99, 333, 12_345] {
            let s = nice_scale(max, 5);
            assert!(s.top >= max && s.ticks().len() <= 6, "{max}: {s:?}");
            assert_eq!(*s.ticks().last().unwrap(), s.top);
        }
    }

    #[test]
    fn a_week_labels_every_day() {
        let t = x_ticks(&days("2026-10-28", 7), 9);
        assert_eq!(t.len(), 7);
        assert_eq!(t[0], (0, "Oct 28".to_string()));
        assert_eq!(t[6], (6, "Nov 3".to_string()));
    }

    #[test]
    fn a_month_labels_mondays() {
        // 2026-11-02 is a Monday.
        let t = x_ticks(&days("2026-10-05", 30), 9);
        let texts: Vec<&str> = t.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(texts, vec!["Oct 5", "Oct 12", "Oct 19", "Oct 26", "Nov 2"]);
        assert_eq!(t[0].0, 0);
    }

    #[test]
    fn ninety_days_thin_the_mondays() {
        let t = x_ticks(&days("2026-08-06", 90), 9);
        assert!(t.len() <= 9 && t.len() >= 5, "{t:?}");
        let labels = days("2026-08-06", 90);
        for (i, _) in &t {
            let d = NaiveDate::parse_from_str(&labels[*i], "%Y-%m-%d").unwrap();
            assert_eq!(d.weekday(), Weekday::Mon);
        }
    }

    #[test]
    fn a_year_labels_months_with_the_year_on_first_and_january() {
        let t = x_ticks(&days("2025-11-04", 365), 9);
        let texts: Vec<&str> = t.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Dec 2025", "Jan 2026", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov"
            ]
        );
    }

    #[test]
    fn labels_never_exceed_the_limit() {
        for n in [1, 8, 9, 10, 31, 60, 92, 93, 200, 366, 800] {
            let t = x_ticks(&days("2026-01-01", n), 9);
            assert!(!t.is_empty() && t.len() <= 13, "{n}: {}", t.len());
            assert!(t.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn other_labels_are_thinned_evenly() {
        let labels: Vec<String> = (0..25).map(|i| format!("P{i}")).collect();
        let t = x_ticks(&labels, 10);
        let idx: Vec<usize> = t.iter().map(|(i, _)| *i).collect();
        assert_eq!(idx, vec![0, 3, 6, 9, 12, 15, 18, 21, 24]);
        assert_eq!(t[1].1, "P3");
        assert!(x_ticks(&[], 10).is_empty());
    }

    #[test]
    fn units_and_point_text() {
        assert_eq!(with_unit(1, "tokens"), "1 token");
        assert_eq!(with_unit(1234, "tokens"), "1,234 tokens");
        let p = ChartPoint::new("2026-11-03", 84, "12 windows");
        assert_eq!(point_text(&p, "tokens"), "2026-11-03: 84 tokens, 12 windows");
    }
}
