"""Keep keys typed in our widgets away from JupyterLab's command shortcuts.

In a notebook's command mode JupyterLab reads single keys as commands ("a" inserts a cell,
"m" turns it into Markdown, "0 0" restarts the kernel, arrows move between cells), and a focused
select or button does not switch the notebook to edit mode. Lumino's key handling
(``@lumino/commands``, ``Private.targetDistance``) walks from the event's target up to the
document, matching each element against a binding's selector, and gives up at the first element
carrying ``data-lm-suppress-shortcuts``. The command-mode selectors end in ``:focus``, which the
focused control itself matches, so the attribute must sit on the control: the guard puts it on
every element of its box that receives focus (and on the box). It also names the flowcharts
(``dt-flowchart`` outputs), the sliders' handles and the radio lists (after their description)
for screen readers.

:class:`KeyboardGuard` is an invisible anywidget whose few lines of ESM set the attribute on
the box it is placed in; its stylesheet also lets our figures and tables follow the width of
the notebook, and in a narrow window puts a long description above its control (an 800 px
window would otherwise squeeze a text box or the confidence slider to nothing), and gives the
lists whose texts a learner must read (class ``dt-stacked``) the full width, a radio list's
texts wrapping. Add one as the first child of every top-level box.
"""

from __future__ import annotations

import anywidget

_ESM = """
const SUPPRESS = 'data-lm-suppress-shortcuts';
const FLOWCHART = 'Flowchart of the algorithm: your path over the recommended path. '
  + 'The same flowchart in words is just above it.';
export default {
  render({ el }) {
    el.hidden = true;
    let tries = 0;
    const mark = () => {
      const box = el.closest('.widget-box');  // anywidget nests el in its own view
      if (box) {
        box.setAttribute(SUPPRESS, 'true');
        // the focused control itself matches the shortcuts' ':focus', so it needs the mark too
        box.addEventListener('focusin', event => event.target.setAttribute(SUPPRESS, 'true'));
        const flowcharts = () => box.querySelectorAll('.dt-flowchart:not([aria-label])').forEach(
          figure => {
            figure.setAttribute('role', 'figure');
            figure.setAttribute('aria-label', FLOWCHART);
          });
        // a slider's handle (role=slider) is not tied to its description: name it after it
        const sliders = () => box.querySelectorAll('.widget-slider .noUi-handle:not([aria-label])')
          .forEach(handle => {
            const text = handle.closest('.widget-slider').querySelector('.widget-label');
            if (text && text.textContent.trim()) {
              handle.setAttribute('aria-label', text.textContent.trim());
            }
          });
        // a radio list (the cases) is one group, named after its description
        const groups = () => box.querySelectorAll('.widget-radio-box:not([role])').forEach(
          group => {
            group.setAttribute('role', 'radiogroup');
            const text = group.parentElement.querySelector('.widget-label');
            if (text && text.textContent.trim()) {
              group.setAttribute('aria-label', text.textContent.trim());
            }
          });
        const label = () => { flowcharts(); sliders(); groups(); };
        label();
        new MutationObserver(label).observe(box, { childList: true, subtree: true });
      } else if (tries++ < 600) {
        requestAnimationFrame(mark);  // views are attached after they render
      }
    };
    mark();
  }
};
"""

_CSS = """
.dt-root { max-width: 100%; box-sizing: border-box; }
.dt-root .widget-output, .dt-root .js-plotly-plot, .dt-root .plot-container { max-width: 100%; }
.dt-root table { max-width: 100%; }
.dt-root td, .dt-root th { white-space: normal; overflow-wrap: anywhere; }
/* narrow windows: a long description goes above its control instead of squeezing it */
.dt-root .widget-inline-hbox { flex-wrap: wrap; row-gap: 2px; height: auto;
  min-height: var(--jp-widgets-inline-height); }
.dt-root .widget-button { width: auto; min-width: var(--jp-widgets-inline-width-short); }
:is(.dt-root, .dt-root .widget-vbox) > .widget-button { align-self: flex-start; }
.dt-root .widget-inline-hbox > .widget-label { max-width: 100%; white-space: normal; }
.dt-root .widget-inline-hbox > :is(input, select, textarea) { min-width: min(16em, 100%); }
.dt-root .widget-hslider > .slider-container { min-width: min(12em, 100%); }
/* lists whose option texts must stay readable (cases, steps): the description above, the
   list the full width, and a radio list's texts wrap instead of being cut off */
.dt-root .dt-stacked > .widget-label { flex: 1 0 100%; text-align: left; }
.dt-root .dt-stacked > :is(select, .widget-radio-box) { flex: 1 1 100%; min-width: 0; }
.dt-root .dt-stacked .widget-radio-box label { display: flex; align-items: flex-start;
  height: auto; line-height: 1.4; padding: 2px 0; white-space: normal; overflow-wrap: anywhere; }
.dt-root .dt-stacked .widget-radio-box input { order: -1; float: none; flex: none;
  height: 1.4em; margin: 0 0.5em 0 1px; }
.dt-root .dt-cases .widget-radio-box { max-height: 24em; overflow-y: auto; padding: 0 4px;
  border: var(--jp-border-width) solid var(--jp-border-color1); }
"""


class KeyboardGuard(anywidget.AnyWidget):
    """Invisible: marks its parent box so that JupyterLab's shortcuts skip keys typed in it."""

    _esm = _ESM
    _css = _CSS

    def __repr__(self) -> str:
        return "KeyboardGuard()"
