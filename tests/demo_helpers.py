"""What the demo tests share: loading a demo from demos/ as a module, and checking its pictures."""
import importlib.util
import os
import sys

import numpy

DEMOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demos")


def load_demo(name):
    """demos/<name>.py imported as a module (demos/ is not a package), so a test can call its main(argv)."""
    if DEMOS not in sys.path:   # a demo imports demos/common.py, as it does when run from demos/
        sys.path.insert(0, DEMOS)
    spec = importlib.util.spec_from_file_location(f"demo_{name}", os.path.join(DEMOS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def data_under_legends(fig):
    """(legend, axes title, artist label) for every plotted point that a legend box covers.

    Points are the vertices of each line and the centres of each scatter plot, in pixels,
    counted only where they are inside their axes (clipped points are not drawn)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)   # a closed figure has lost its canvas: give it one to lay it out again
    canvas.draw()
    renderer = canvas.get_renderer()
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)
    boxes = [(legend, legend.get_window_extent(renderer)) for legend in legends]
    covered = []
    for ax in fig.axes:
        frame = ax.get_window_extent(renderer)
        artists = [(line, line.get_transform().transform(line.get_xydata())) for line in ax.get_lines()]
        artists += [(c, c.get_offset_transform().transform(c.get_offsets())) for c in ax.collections
                    if len(c.get_offsets())]
        for artist, points in artists:
            points = points[numpy.isfinite(points).all(axis=1)]
            points = points[[frame.contains(x, y) for x, y in points]] if len(points) else points
            for legend, box in boxes:
                if any(box.contains(x, y) for x, y in points):
                    covered.append((legend.get_title().get_text() or "legend", ax.get_title(), artist.get_label()))
    return covered


def check_pictures(folder, saved_figures, pictures):
    """Each picture was written, says what was run (a title), labels both axes of every plot, and keeps its
    legends off the data."""
    for name in pictures:
        assert (folder / name).stat().st_size > 0, name
        fig = saved_figures[name]
        assert fig._suptitle is not None or any(ax.get_title() for ax in fig.axes), name   # says what was run
        for ax in fig.axes:
            if ax.axison:                       # image strips (bnn's ood_inputs.png) have no axes
                assert labelled(ax, "x") and labelled(ax, "y"), (name, ax.get_title())
        assert data_under_legends(fig) == [], name


def labelled(ax, which):
    """The axes, or one that shares this axis with it (and so carries the label), names the axis."""
    shared = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
    return any((a.get_xlabel() if which == "x" else a.get_ylabel()) for a in shared.get_siblings(ax))
