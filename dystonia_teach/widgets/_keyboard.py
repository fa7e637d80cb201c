"""Keep keys typed in our widgets away from JupyterLab's command shortcuts.

In a notebook's command mode JupyterLab reads single keys as commands ("a" inserts a cell,
"m" turns it into Markdown, "0 0" restarts the kernel, arrows move between cells), and a focused
select or button does not switch the notebook to edit mode. Lumino's key handling
(``@lumino/commands``, ``Private.targetDistance``) walks from the event's target up to the
document, matching each element against a binding's selector, and gives up at the first element
carrying ``data-lm-suppress-shortcuts``. The command-mode selectors end in ``:focus``, which the
focused control itself matches, so the attribute must sit on the control: the guard puts it on
every element of its box that receives focus (and on the box). It also names the flowcharts
(``dt-flowchart``), the sliders' handles, the radio lists (after their description) and the
workbench's panels (regions named by their heading) for screen readers; gives each radio list
one name (one Tab stop, arrow keys inside); announces the panels' messages (``dt-message``,
``aria-live``) and scrolls a changed message into view beside its control; moves the focus to
a panel on request (:meth:`KeyboardGuard.focus`); and, when the kernel goes away (a restart),
tells the learner to run the cell again instead of leaving controls that no longer answer.

:class:`KeyboardGuard` is an invisible anywidget whose few lines of ESM set the attribute on
the box it is placed in; its stylesheet also lets our figures and tables follow the width of
the notebook, and in a narrow window puts a long description above its control (an 800 px
window would otherwise squeeze a text box or the confidence slider to nothing), and gives the
lists whose texts a learner must read (class ``dt-stacked``) the full width, a radio list's
texts wrapping. Add one as the first child of every top-level box.
"""

from __future__ import annotations

import anywidget
import traitlets

_ESM = """
const SUPPRESS = 'data-lm-suppress-shortcuts';
const FLOWCHART = 'Flowchart of the algorithm: your path over the recommended path. '
  + 'The same flowchart in words follows it.';
let groups = 0;
export default {
  render({ model, el }) {
    el.hidden = true;
    let tries = 0;
    let box = null;
    const mark = () => {
      box = el.closest('.widget-box');  // anywidget nests el in its own view
      if (box) {
        box.setAttribute(SUPPRESS, 'true');
        // the focused control itself matches the shortcuts' ':focus', so it needs the mark too
        box.addEventListener('focusin', event => event.target.setAttribute(SUPPRESS, 'true'));
        const label = () => {
          // a radio list is one group, one Tab stop, arrow keys inside (a shared name)
          box.querySelectorAll('.widget-radio-box:not([role])').forEach(group => {
            group.setAttribute('role', 'radiogroup');
            const text = group.parentElement.querySelector('.widget-label');
            if (text && text.textContent.trim()) {
              group.setAttribute('aria-label', text.textContent.trim());
            }
            group.dataset.dtName = `dt-radio-${++groups}`;
          });
          box.querySelectorAll('.widget-radio-box[data-dt-name] input[type=radio]:not([name])')
            .forEach(input => { input.name = input.closest('.widget-radio-box').dataset.dtName; });
          // each panel is a region named by its heading
          box.querySelectorAll('.dt-panel:not([role])').forEach(panel => {
            const heading = panel.querySelector('h2, h3');
            if (heading) {
              panel.setAttribute('role', 'region');
              panel.setAttribute('aria-label', heading.textContent.trim());
            }
          });
          // messages are announced when they change
          box.querySelectorAll('.dt-message:not([aria-live])').forEach(message => {
            message.setAttribute('aria-live', 'polite');
          });
          box.querySelectorAll('.dt-flowchart:not([aria-label])').forEach(figure => {
            figure.setAttribute('role', 'figure');
            figure.setAttribute('aria-label', FLOWCHART);
          });
          // a slider's handle (role=slider) is not tied to its description: name it after it
          box.querySelectorAll('.widget-slider .noUi-handle:not([aria-label])').forEach(handle => {
            const text = handle.closest('.widget-slider').querySelector('.widget-label');
            if (text && text.textContent.trim()) {
              handle.setAttribute('aria-label', text.textContent.trim());
            }
          });
        };
        label();
        new MutationObserver(records => {
          label();
          // a message that changed is brought into view, beside the control that caused it
          const changed = new Set();
          for (const record of records) {
            const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
            const message = node && node.closest('.dt-message');
            if (message && message.textContent.trim()) changed.add(message);
          }
          changed.forEach(message => message.scrollIntoView({ block: 'nearest' }));
        }).observe(box, { childList: true, subtree: true, characterData: true });
      } else if (tries++ < 600) {
        requestAnimationFrame(mark);  // views are attached after they render
      }
    };
    mark();
    // "focus": bring a panel into view and move the keyboard focus to its heading (also a
    // request made before this view was drawn: a workbench just opened)
    const focus = (tries = 0) => {
      const target = model.get('focus_request').split('#')[0];
      const panel = target && box && box.querySelector(`.${target}`);
      const heading = panel && panel.querySelector('h2, h3');
      if (heading) {
        heading.setAttribute('tabindex', '-1');
        heading.scrollIntoView({ block: 'start' });
        heading.focus({ preventScroll: true });
      } else if (target && tries < 600) {
        requestAnimationFrame(() => focus(tries + 1));
      }
    };
    model.on('change:focus_request', () => focus());
    focus();
    // the kernel went away (restarted or shut down): the widget manager marks every view
    // disconnected and the controls no longer answer; say what to do, once, at the top
    const stale = () => {
      if (!box || !box.classList.contains('jupyter-widgets-disconnected')) return;
      const outer = box.parentElement && box.parentElement.closest('.dt-root');
      if (outer || box.querySelector(':scope > .dt-stale')) return;
      const note = document.createElement('p');
      note.className = 'dt-stale';
      note.setAttribute('role', 'alert');
      note.textContent = 'The course stopped (its kernel restarted), so these controls no longer '
        + 'answer: run this cell again (Shift + Enter) to continue. Your saved work comes back '
        + '(Resume where you stopped).';
      box.prepend(note);
    };
    const watch = () => box
      ? new MutationObserver(stale).observe(box, { attributes: true, attributeFilter: ['class'] })
      : requestAnimationFrame(watch);
    watch();
  }
};
"""

_CSS = """
.dt-root { max-width: 100%; box-sizing: border-box; }
.dt-root .widget-output, .dt-root .js-plotly-plot, .dt-root .plot-container { max-width: 100%; }
.dt-root table { max-width: 100%; }
.dt-root td, .dt-root th { white-space: normal; overflow-wrap: anywhere; }
.dt-root :is(.dt-certainty, .dt-calibration) :is(td, th) { text-align: left; padding: 2px 6px;
  overflow-wrap: break-word;
  border-bottom: 1px solid var(--jp-border-color2, #ccc); }
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
.dt-root svg.dt-flowchart { max-width: 100%; height: auto; }
.dt-root .dt-panel { border-top: 1px solid var(--jp-border-color2, #ccc); padding-top: 4px; }
.dt-root .dt-tracker { margin: 0; padding: 0; list-style-position: inside; }
.dt-root .dt-tracker li { display: inline-block; margin: 0 1.2em 2px 0; }
.dt-root .dt-tracker li::marker { font-weight: normal; }
.dt-root .dt-tracker .dt-now { font-weight: bold; }
/* text areas read as text (ipywidgets gives them the line height of a control), and an empty
   one takes no room */
.dt-root .widget-html-content { line-height: 1.45; }
.dt-root .widget-html-content :is(h4, h5, h6) { font-size: 1em; margin: 0.8em 0 0.3em; }
.dt-root .widget-html:has(> .widget-html-content:empty) { display: none; }
.dt-root .dt-stale { border-left: 6px solid #D55E00; padding: 4px 8px; font-weight: bold; }
/* a restarted kernel: one notice instead of a broken-link icon on every control */
.dt-root.jupyter-widgets-disconnected::before,
.dt-root .jupyter-widgets-disconnected::before { display: none; }
.dt-root.jupyter-widgets-disconnected > :not(.dt-stale) { opacity: 0.45; pointer-events: none; }
.dt-root .widget-html-content { overflow-wrap: anywhere; }
"""


class KeyboardGuard(anywidget.AnyWidget):
    """Invisible: marks its parent box so that JupyterLab's shortcuts skip keys typed in it."""

    _esm = _ESM
    _css = _CSS
    #: "<css class>#<n>": bring that element of the box into view and focus its heading.
    focus_request = traitlets.Unicode("").tag(sync=True)

    def focus(self, css_class: str) -> None:
        """Scroll to the element of class ``css_class`` and move the focus to its heading."""
        count = int(self.focus_request.split("#")[1]) + 1 if self.focus_request else 1
        self.focus_request = f"{css_class}#{count}"

    def __repr__(self) -> str:
        return "KeyboardGuard()"
