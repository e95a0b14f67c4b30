"""The trend chart: KK terwakili over time against the campaign's line, drawn as inline SVG by
the server (templates/includes/_trend_chart.html). No JavaScript: the CSP forbids inline script
and phones on slow networks should not need any."""

from datetime import timedelta

# A narrow drawing (a phone's width), so its labels stay readable when scaled to fit.
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 420, 240, 70, 10, 12, 34


def trend_dates(campaign, today, weeks=12):
    """Dates for the chart, a week apart (wider for long spans), from the campaign's start (or
    `weeks` weeks ago without a campaign) to today."""
    if campaign is not None and campaign.starts_on <= today:
        start = campaign.starts_on
    else:
        start = today - timedelta(weeks=weeks)
    end = today
    step = max(7, -(-(end - start).days // 26))  # at most ~26 points, however long ago
    dates, day = [], start
    while day < end:
        dates.append(day)
        day += timedelta(days=step)
    dates.append(end)
    return dates


def trend_chart(dates, values, *, campaign=None, target=None):
    """Geometry for the SVG: the KK terwakili polyline and, with a target, the straight line
    from 0 at the start to the target at the deadline and the target level."""
    x0 = dates[0]
    x1 = max(dates[-1], campaign.deadline) if campaign is not None and target else dates[-1]
    span = max((x1 - x0).days, 1)
    top = max([*values, target or 0, 1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day):
        return round(LEFT + plot_w * (day - x0).days / span, 1)

    def y(value):
        return round(TOP + plot_h * (1 - value / top), 1)

    chart = {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM,
        "top": TOP,
        "points": " ".join(f"{x(d)},{y(v)}" for d, v in zip(dates, values)),
        "last": {"x": x(dates[-1]), "y": y(values[-1]), "value": values[-1]},
        "max": top,
        "start": x0,
        "end": x1,
        "label_y": HEIGHT - BOTTOM + 22,
        "values": list(zip(dates, values)),
    }
    if campaign is not None and target:
        start = max(campaign.starts_on, x0)
        chart["target_line"] = {
            "x1": x(start), "y1": y(campaign.expected(target, start)),
            "x2": x(campaign.deadline), "y2": y(target),
        }
        chart["target_y"] = y(target)
        chart["target"] = target
    return chart
