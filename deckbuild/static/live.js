/* Live cells for `build.py present`: edit the deck's code cells in place and run them in the
   server's kernels (one per slide file) over a WebSocket. The server injects this file, with
   window.DECK_LIVE = {socket, files}, into the HTML it serves; the built file never has it.

   Keys: click or Enter on a cell edits it; in the editor Shift+Enter runs and leaves,
   Ctrl+Enter runs and stays, Esc leaves, Tab indents. Outside the editor, i,i interrupts and
   0,0 restarts the kernel of the current slide's file. A remove-input cell (output only) has no
   editor: it takes the focus itself, Shift+Enter or its ▶ runs it, and the run sends no code,
   so that the server runs the cell's own. Everything here is scoped `live-`. */
(() => {
  "use strict";
  const LIVE = window.DECK_LIVE;
  /* not twice, and not in the speaker view's previews (reveal's notes plugin adds ?receiver) */
  if (!LIVE || window.__deckLive || /[?&]receiver(&|=|$)/.test(location.search)) return;
  const DOUBLE_KEY_MS = 800; /* two presses of i or 0 within this interrupt or restart */
  const RECONNECT_MS = [250, 500, 1000, 2000]; /* back-off while the server is away */
  const GONE_AFTER = 8; /* failed attempts (~10 s) before saying the server may have restarted */
  const INDENT = "    ";
  const CELL_ID = /^cell-id=(.+)-(\d+)$/;

  const cells = new Map(); /* cell id -> Cell */
  const runs = new Map(); /* run id -> Cell, while the run is not done */
  const fileStates = {}; /* file key -> starting|replaying|idle|busy|dead */
  let socket = null;
  let connected = false;
  let everConnected = false;
  let attempts = 0;
  let outbox = []; /* messages waiting for a connection */
  let runCounter = 0;
  let indicator = null;
  let lastKey = { key: null, at: 0 };
  const runPrefix = Math.random().toString(36).slice(2, 8);

  /* ---- helpers ---------------------------------------------------------------------- */

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fromHtml(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }

  function fileName(key) {
    const path = (LIVE.files && LIVE.files[key]) || key;
    return path.split("/").pop();
  }

  function fileOf(id) {
    const match = CELL_ID.exec(id || "");
    return match && LIVE.files && Object.hasOwn(LIVE.files, match[1]) ? match[1] : null;
  }

  function reveal() {
    return window.Reveal && window.Reveal.isReady && window.Reveal.isReady() ? window.Reveal : null;
  }

  function overview() {
    const deck = reveal();
    return Boolean(deck && deck.isOverview());
  }

  function isTyping(target) {
    return Boolean(
      target && (target.isContentEditable || /^(input|textarea|select)$/i.test(target.tagName)),
    );
  }

  /* ---- fitting the slide after its content changed --------------------------------- */

  /* The deck's fit script (in the template) zooms a crowded slide out and caps stepped code;
     it runs at load, and again here, through window.deckFit, after a live run's output. */
  function fitSlide(slide) {
    if (typeof window.deckFit === "function") window.deckFit(slide);
  }

  const toFit = new Set();
  let fitFrame = 0;
  function refit(cell) {
    const slide = cell.root.closest("section:not(.stack)");
    if (!slide) return;
    toFit.add(slide);
    if (!fitFrame) {
      fitFrame = requestAnimationFrame(() => {
        fitFrame = 0;
        for (const each of toFit) if (each.isConnected) fitSlide(each);
        toFit.clear();
        document.dispatchEvent(new Event("deckfitted")); /* code steps scroll to their lines again */
      });
    }
  }

  /* ---- cells ------------------------------------------------------------------------ */

  class Cell {
    constructor(root, file) {
      this.root = root;
      this.id = root.id.slice("cell-id=".length);
      this.file = file;
      /* remove-input: no code on the page, so no editor; the cell itself takes the focus */
      this.outputOnly = !root.querySelector(".jp-InputArea-editor pre");
      this.wrapper = this.outputOnly ? root : root.querySelector(".jp-Cell-inputWrapper");
      this.editor = this.outputOnly ? null : root.querySelector(".jp-InputArea-editor");
      this.prompt = root.querySelector(".jp-InputPrompt");
      /* The built nodes themselves are kept, not copies, so that the deck's own scripts (code
         steps) still hold the nodes they wrapped when a reset puts them back. */
      this.original = {
        highlight: this.highlight(),
        output: root.querySelector(":scope > .jp-Cell-outputWrapper"),
        noOutputs: root.classList.contains("jp-mod-noOutputs"),
        prompt: this.prompt ? this.prompt.textContent : null,
      };
      this.source = this.originalSource();
      this.shown = this.source; /* the code the highlighted view shows */
      this.draft = null; /* edited, not run yet */
      this.textarea = null;
      this.run = null; /* the latest run asked for: {id, code} */
      this.active = null; /* the run whose output the output area shows */
      this.clearOnOutput = false;
      this.status = null;
      root.classList.add("live-cell");
      if (this.outputOnly) {
        root.classList.add("live-output-only");
        root.tabIndex = 0;
      }
      this.addControls();
    }

    originalSource() {
      const pre = this.editor && this.editor.querySelector("pre");
      return (pre ? pre.textContent : "").replace(/\n$/, "");
    }

    addControls() {
      const bar = el("div", "live-controls");
      bar.setAttribute("role", "toolbar");
      bar.setAttribute("aria-label", "live cell");
      const button = (name, symbol, title, action) => {
        const node = el("button", `live-button live-${name}`, symbol);
        node.type = "button";
        node.title = title;
        node.tabIndex = -1;
        node.setAttribute("aria-label", title);
        node.addEventListener("mousedown", (event) => event.preventDefault()); /* keep focus */
        node.addEventListener("click", (event) => {
          event.stopPropagation();
          action();
        });
        bar.append(node);
        return node;
      };
      button("run", "\u25B6", "Run (Shift+Enter)", () => this.runNow(true));
      button("stop", "\u25A0", "Interrupt (i, i)", () => interrupt(this.file));
      const built = this.outputOnly ? "the built output" : "the built code and output";
      button("reset", "\u21BA", `Reset to ${built}`, () => this.reset());
      const more = button("more", "\u22EF", "More", () => menu.classList.toggle("live-open"));
      more.setAttribute("aria-haspopup", "menu");
      const menu = el("div", "live-menu");
      menu.setAttribute("role", "menu");
      const item = (text, action) => {
        const node = el("button", "live-menu-item", text);
        node.type = "button";
        node.tabIndex = -1;
        node.setAttribute("role", "menuitem");
        node.addEventListener("mousedown", (event) => event.preventDefault());
        node.addEventListener("click", (event) => {
          event.stopPropagation();
          menu.classList.remove("live-open");
          action();
        });
        menu.append(node);
      };
      item(`Interrupt ${fileName(this.file)} (i, i)`, () => interrupt(this.file));
      item(`Restart ${fileName(this.file)}'s kernel (0, 0)`, () => restart(this.file));
      item(`Reset this cell to ${built}`, () => this.reset());
      bar.append(menu);
      this.root.addEventListener("mouseleave", () => menu.classList.remove("live-open"));
      (this.editor || this.root).append(bar);
      this.controls = bar;
    }

    /* -- editing -- */

    edit(caret) {
      if (!this.editor) return; /* output only: there is no code to edit */
      if (this.textarea) {
        this.textarea.focus();
        return;
      }
      const pre = this.editor.querySelector("pre");
      const highlight = this.editor.querySelector(".highlight") || pre;
      if (!pre || !highlight) return;
      const style = getComputedStyle(pre);
      const area = el("textarea", "live-editor");
      area.value = this.draft !== null ? this.draft : this.shown;
      area.spellcheck = false;
      area.setAttribute("autocomplete", "off");
      area.setAttribute("autocapitalize", "off");
      area.setAttribute("aria-label", `code of cell ${this.id}`);
      for (const property of [
        "fontFamily",
        "fontSize",
        "fontWeight",
        "lineHeight",
        "letterSpacing",
        "paddingTop",
        "paddingRight",
        "paddingBottom",
        "paddingLeft",
        "marginTop",
        "marginBottom",
        "color",
      ]) {
        area.style[property] = style[property];
      }
      /* stepped code (data-steps) the deck capped to a scrolling box stays that size */
      const capped = style.maxHeight !== "none";
      if (capped) {
        area.style.maxHeight = style.maxHeight;
        area.style.overflowY = "auto";
        area.style.scrollbarWidth = "none";
      }
      const scrolled = pre.scrollTop;
      highlight.classList.add("live-hidden");
      highlight.after(area);
      this.textarea = area;
      this.root.classList.add("live-editing");
      area.addEventListener("input", () => this.grow());
      area.addEventListener("keydown", (event) => this.onEditorKey(event));
      for (const type of ["keypress", "keyup"]) {
        area.addEventListener(type, (event) => event.stopPropagation());
      }
      area.addEventListener("blur", () => {
        /* the window losing focus (the speaker view, another app) keeps the editor open */
        if (document.hasFocus() && this.textarea === area) this.leave(false);
      });
      this.grow();
      area.scrollTop = scrolled;
      area.focus({ preventScroll: true });
      const at = caret === undefined || caret === null ? area.value.length : caret;
      area.setSelectionRange(at, at);
    }

    grow() {
      const area = this.textarea;
      if (!area) return;
      area.style.height = "auto";
      area.style.height = `${area.scrollHeight}px`;
      refit(this);
    }

    onEditorKey(event) {
      event.stopPropagation(); /* reveal.js and the i,i / 0,0 keys never see the editor's keys */
      const area = this.textarea;
      if (event.key === "Enter" && event.shiftKey && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        this.runNow(true);
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.runNow(false);
      } else if (event.key === "Escape") {
        event.preventDefault();
        this.leave(true);
      } else if (event.key === "Tab" && !event.ctrlKey && !event.altKey && !event.metaKey) {
        event.preventDefault();
        if (event.shiftKey) dedent(area);
        else insertText(area, INDENT);
      } else if (event.key === "Enter" && !event.altKey && !event.isComposing) {
        event.preventDefault();
        const before = area.value.slice(0, area.selectionStart);
        const line = before.slice(before.lastIndexOf("\n") + 1);
        let indent = /^[ \t]*/.exec(line)[0];
        if (/:\s*$/.test(line)) indent += INDENT;
        insertText(area, `\n${indent}`);
      }
    }

    /* Close the editor: keep what was typed as a draft, show the highlighted code again. */
    leave(focusCell) {
      const area = this.textarea;
      if (!area) return;
      this.textarea = null;
      this.draft = area.value === this.shown ? null : area.value;
      this.root.classList.toggle("live-draft", this.draft !== null);
      this.root.classList.remove("live-editing");
      area.remove();
      const hidden = this.editor.querySelector(".live-hidden");
      if (hidden) hidden.classList.remove("live-hidden");
      if (focusCell && this.wrapper) this.wrapper.focus({ preventScroll: true });
      refit(this);
    }

    /* -- running -- */

    /* Run the editor's text, the draft or the code shown; output only: the cell's own code. */
    runNow(leaveEditor) {
      const editing = Boolean(this.textarea);
      let code = editing ? this.textarea.value : this.draft !== null ? this.draft : this.shown;
      if (this.outputOnly) code = null; /* the server runs the cell's code from its file */
      this.draft = null;
      this.root.classList.remove("live-draft");
      if (code !== null && code !== this.shown) this.showPlain(code); /* until highlighted */
      if (editing && leaveEditor) this.leave(true);
      runCounter += 1;
      const id = `${runPrefix}-${runCounter}`;
      this.run = { id, code };
      runs.set(id, this);
      this.setStatus(connected ? null : "waiting for the server\u2026", "waiting");
      this.updateClasses();
      const message = { type: "run", id, cell: this.id };
      if (code !== null) message.code = code;
      send(message);
    }

    /* The code as plain text in the highlighted view (hidden while the editor is open). */
    showPlain(code) {
      this.shown = code;
      const plain = el("div", "highlight hl-ipython3");
      plain.append(el("pre", "", `${code}\n`));
      this.showHighlight(plain);
    }

    /* Swap the highlighted code for another; the built one is detached, never changed. */
    showHighlight(next) {
      const current = this.highlight();
      if (!current || current === next) return;
      if (this.textarea) next.classList.add("live-hidden");
      else next.classList.remove("live-hidden");
      current.replaceWith(next);
    }

    highlight() {
      if (!this.editor) return null;
      return this.editor.querySelector(".highlight") || this.editor.querySelector("pre");
    }

    /* running: the run whose output shows is not done; pending: a newer run has not started. */
    updateClasses() {
      const running = this.active !== null && runs.has(this.active);
      const pending = this.run !== null && this.run.id !== this.active;
      this.root.classList.toggle("live-running", running);
      this.root.classList.toggle("live-pending", pending);
      if (reveal() && this.root.closest("section.present")) updateIndicator();
    }

    setStatus(text, kind) {
      if (!text) {
        if (this.status) this.status.remove();
        this.status = null;
        refit(this);
        return;
      }
      if (!this.status) {
        this.status = el("div", "live-status");
        this.status.setAttribute("role", "status");
        if (this.outputOnly) this.root.prepend(this.status); /* above the output */
        else this.wrapper.after(this.status);
      }
      this.status.className = `live-status${kind ? ` live-status-${kind}` : ""}`;
      this.status.textContent = text;
      refit(this);
    }

    outputArea() {
      let wrapper = this.root.querySelector(":scope > .jp-Cell-outputWrapper");
      if (wrapper && wrapper === this.original.output) {
        wrapper.remove(); /* kept for a reset; a live one takes its place */
        wrapper = null;
      }
      if (!wrapper) {
        wrapper = el("div", "jp-Cell-outputWrapper");
        wrapper.append(el("div", "jp-Collapser jp-OutputCollapser jp-Cell-outputCollapser"));
        wrapper.append(el("div", "jp-OutputArea jp-Cell-outputArea"));
        this.root.append(wrapper);
      }
      this.root.classList.remove("jp-mod-noOutputs");
      return wrapper.querySelector(".jp-OutputArea");
    }

    clearOutput() {
      this.clearOnOutput = false;
      this.outputArea().replaceChildren();
    }

    onQueued(message) {
      if (!this.run || this.run.id !== message.id) return;
      const name = fileName(this.file);
      this.setStatus(
        message.reason === "replaying"
          ? `waiting for replay of ${name}\u2026`
          : "waiting for the running cell\u2026",
        "waiting",
      );
    }

    onStarted(message) {
      this.active = message.id;
      if (this.run && this.run.id === message.id) this.setStatus(null);
      if (message.input_html && this.editor) this.showInputHtml(message.input_html);
      if (this.prompt) {
        const count = message.execution_count;
        this.prompt.textContent = `In [${count === null || count === undefined ? "*" : count}]:`;
      }
      this.clearOutput();
      this.updateClasses();
      refit(this);
    }

    showInputHtml(html) {
      const fragment = fromHtml(html);
      let next = fragment.querySelector(".highlight");
      if (!next) {
        const pre = fragment.querySelector("pre");
        if (!pre) return;
        next = el("div", "highlight hl-ipython3");
        next.append(pre);
      }
      this.showHighlight(next);
    }

    onOutput(message) {
      const area = this.outputArea();
      if (this.clearOnOutput) this.clearOutput();
      const last = area.lastElementChild;
      if (
        message.stream &&
        message.text_html !== null &&
        message.text_html !== undefined &&
        last &&
        last.dataset.liveStream === message.stream
      ) {
        const pre = last.querySelector("pre");
        if (pre) {
          pre.insertAdjacentHTML("beforeend", message.text_html);
          refit(this);
          return;
        }
      }
      const fragment = fromHtml(message.html || "");
      let block = fragment.firstElementChild;
      if (!block) return;
      if (fragment.childElementCount > 1 || !block.classList.contains("jp-OutputArea-child")) {
        const child = el("div", "jp-OutputArea-child");
        child.append(fragment);
        block = child;
      }
      if (message.stream) block.dataset.liveStream = message.stream;
      area.append(block);
      refit(this);
    }

    onClear(message) {
      if (message.wait) this.clearOnOutput = true;
      else this.clearOutput();
      refit(this);
    }

    onDone(message) {
      runs.delete(message.id);
      const latest = this.run !== null && this.run.id === message.id;
      if (latest) {
        this.run = null;
        this.setStatus(null);
      }
      /* a run that never started (aborted in the queue) still reports here if it was the last */
      const shows = this.active === message.id || (latest && this.active !== message.id);
      if (shows && this.active !== message.id) {
        this.active = message.id;
        this.clearOutput();
      }
      this.updateClasses();
      if (!shows) return;
      if (message.status === "dead") {
        this.showDead(message.message);
      } else if (message.status === "aborted" || message.status === "interrupted") {
        const fallback = message.status === "interrupted" ? "interrupted" : "not run";
        if (message.message || !this.hasOutput()) this.note(message.message || fallback, message.status);
      } else if (message.status === "error" && message.message && !this.hasOutput()) {
        this.note(message.message, "error");
      }
      if (!this.hasOutput()) this.root.classList.add("jp-mod-noOutputs");
      refit(this);
    }

    hasOutput() {
      const area = this.root.querySelector(":scope > .jp-Cell-outputWrapper .jp-OutputArea");
      return Boolean(area && area.childElementCount);
    }

    /* A message of ours in the output area: not an output of the code. */
    note(text, kind) {
      const block = el("div", `jp-OutputArea-child live-note live-note-${kind}`);
      block.append(el("div", "live-note-text", text));
      this.outputArea().append(block);
      refit(this);
      return block;
    }

    showDead(message) {
      const name = fileName(this.file);
      const block = this.note(
        `The kernel of ${name} died${message ? ` (${message})` : ""}: its variables are gone.`,
        "dead",
      );
      block.dataset.liveFile = this.file;
      const again = el("button", "live-restart", `Restart ${name}'s kernel`);
      again.type = "button";
      again.addEventListener("click", (event) => {
        event.stopPropagation();
        restart(this.file);
        again.disabled = true;
        again.textContent = "restarting\u2026";
      });
      block.append(again);
    }

    onError(message) {
      runs.delete(message.id);
      if (this.run && this.run.id === message.id) this.run = null;
      this.setStatus(null);
      this.updateClasses();
      this.note(message.message || "the server could not run this cell", "error");
    }

    /* Connection lost mid-run: the server that ran it is gone. */
    onLost(unsent) {
      for (const [id, cell] of Array.from(runs)) if (cell === this && !unsent.has(id)) runs.delete(id);
      if (this.run && !unsent.has(this.run.id)) this.run = null;
      this.setStatus(null);
      this.updateClasses();
      this.note("The connection to the server was lost while this cell ran.", "error");
    }

    reset() {
      if (this.textarea) this.leave(false);
      if (this.run) runs.delete(this.run.id);
      this.run = null;
      this.active = null; /* a run still going on the server no longer shows here */
      this.draft = null;
      this.setStatus(null);
      this.updateClasses();
      this.root.classList.remove("live-draft");
      this.showHighlight(this.original.highlight);
      const output = this.root.querySelector(":scope > .jp-Cell-outputWrapper");
      if (output && output !== this.original.output) output.remove();
      if (this.original.output) this.root.append(this.original.output);
      this.root.classList.toggle("jp-mod-noOutputs", this.original.noOutputs);
      if (this.prompt) this.prompt.textContent = this.original.prompt;
      this.shown = this.source;
      refit(this);
    }
  }

  function insertText(area, text) {
    /* execCommand keeps the browser's undo history; setRangeText is the fallback */
    if (!document.execCommand("insertText", false, text)) {
      area.setRangeText(text, area.selectionStart, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input"));
    }
  }

  function dedent(area) {
    const value = area.value;
    const start = value.lastIndexOf("\n", area.selectionStart - 1) + 1;
    const end = area.selectionEnd;
    const block = value.slice(start, end);
    const lines = block.split("\n").map((line) => line.replace(/^ {1,4}/, ""));
    const replaced = lines.join("\n");
    if (replaced === block) return;
    area.setSelectionRange(start, end);
    insertText(area, replaced);
    area.setSelectionRange(start, start + replaced.length);
  }

  /* Where in the code text a click landed, so the caret starts there. */
  function caretAt(cell, event) {
    const pre = cell.editor.querySelector("pre");
    if (!pre || !document.caretRangeFromPoint) return null;
    const point = document.caretRangeFromPoint(event.clientX, event.clientY);
    if (!point || !pre.contains(point.startContainer)) return null;
    const range = document.createRange();
    range.setStart(pre, 0);
    range.setEnd(point.startContainer, point.startOffset);
    return range.toString().length;
  }

  /* ---- the connection --------------------------------------------------------------- */

  function socketUrl() {
    const url = new URL(LIVE.socket || "/__live__", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const token = new URLSearchParams(location.search).get("token");
    if (token) url.searchParams.set("token", token);
    return url.href;
  }

  function send(message) {
    if (connected && socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    } else {
      outbox.push(message);
    }
  }

  function connect() {
    let opened;
    try {
      opened = new WebSocket(socketUrl());
    } catch (error) {
      scheduleReconnect();
      return;
    }
    socket = opened;
    opened.addEventListener("open", () => {
      connected = true;
      everConnected = true;
      attempts = 0;
      const waiting = outbox;
      outbox = [];
      for (const message of waiting) opened.send(JSON.stringify(message));
      for (const cell of cells.values()) {
        if (cell.status && cell.status.textContent.startsWith("waiting for the server")) {
          cell.setStatus(null);
        }
      }
      updateIndicator();
    });
    opened.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      receive(message);
    });
    opened.addEventListener("close", () => {
      if (socket !== opened) return;
      const wasConnected = connected;
      connected = false;
      socket = null;
      if (wasConnected) {
        const unsent = new Set(outbox.filter((m) => m.type === "run").map((m) => m.id));
        const lost = new Set(Array.from(runs).filter(([id]) => !unsent.has(id)).map(([, c]) => c));
        for (const cell of lost) cell.onLost(unsent);
        for (const key of Object.keys(fileStates)) delete fileStates[key];
      }
      updateIndicator();
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    const delay = RECONNECT_MS[Math.min(attempts, RECONNECT_MS.length - 1)];
    attempts += 1;
    setTimeout(connect, delay);
  }

  function receive(message) {
    const cell = message.id ? runs.get(message.id) : null;
    switch (message.type) {
      case "hello":
        for (const key of Object.keys(fileStates)) delete fileStates[key];
        Object.assign(fileStates, message.files || {});
        updateIndicator();
        break;
      case "state":
        fileStates[message.file] = message.state;
        if (message.state === "idle") restarted(message.file);
        updateIndicator();
        break;
      case "queued":
        if (cell) cell.onQueued(message);
        break;
      case "started":
        if (cell) cell.onStarted(message);
        break;
      case "output":
        if (cell && cell.active === message.id) cell.onOutput(message);
        break;
      case "clear":
        if (cell && cell.active === message.id) cell.onClear(message);
        break;
      case "done":
        if (cell) cell.onDone(message);
        break;
      case "error":
        if (cell) cell.onError(message);
        else flash(message.message || "the server reported an error");
        break;
      default:
        break;
    }
  }

  /* The restart buttons under a dead kernel's last cell say it is back. */
  function restarted(file) {
    for (const note of document.querySelectorAll(".live-note-dead")) {
      const button = note.querySelector(".live-restart");
      if (note.dataset.liveFile === file && button) button.replaceWith(el("span", "", "restarted"));
    }
  }

  function interrupt(file) {
    if (file) send({ type: "interrupt", file });
  }

  function restart(file) {
    if (!file) return;
    fileStates[file] = "starting";
    updateIndicator();
    send({ type: "restart", file });
  }

  /* ---- the corner indicator: the current slide's kernel, when it is not just ready --- */

  function currentFile() {
    const deck = reveal();
    const slide = deck && deck.getCurrentSlide();
    if (!slide) return null;
    const running = slide.querySelector(".live-running, .live-pending");
    if (running) return fileOf(running.id);
    for (const node of slide.querySelectorAll('[id^="cell-id="]')) {
      const file = fileOf(node.id);
      if (file) return file;
    }
    return null;
  }

  let flashed = null;
  let flashTimer = 0;
  function flash(text) {
    flashed = text;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => {
      flashed = null;
      updateIndicator();
    }, 6000);
    updateIndicator();
  }

  function updateIndicator() {
    if (!indicator) return;
    const file = currentFile();
    const state = file ? fileStates[file] : null;
    const name = file ? fileName(file) : "";
    let text = "";
    let kind = "";
    let button = false;
    if (!connected) {
      text =
        attempts >= GONE_AFTER
          ? "live: no server \u2013 if present was restarted, open the address it printed"
          : everConnected
            ? "live: reconnecting\u2026"
            : "live: connecting\u2026";
      kind = "offline";
    } else if (flashed) {
      text = flashed;
      kind = "error";
    } else if (state === "replaying") {
      text = `replaying ${name}\u2026`;
    } else if (state === "starting") {
      text = `starting ${name}\u2026`;
    } else if (state === "dead") {
      text = `${name}: the kernel died`;
      kind = "dead";
      button = true;
    }
    indicator.dataset.state = state || "";
    indicator.className = `live-indicator${text ? " live-shown" : ""}${kind ? ` live-indicator-${kind}` : ""}`;
    indicator.firstChild.textContent = text;
    indicator.lastChild.hidden = !button;
    indicator.lastChild.onclick = () => restart(file);
  }

  /* ---- keys outside the editor ------------------------------------------------------ */

  function onKey(event) {
    if (event.defaultPrevented || isTyping(event.target)) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (overview()) return;
    const focused = event.target && event.target.closest && event.target.closest(".live-cell");
    const cell = focused ? cells.get(focused.id.slice("cell-id=".length)) : null;
    /* an output-only cell is focused itself or through its output (images take the focus too) */
    const onCell = cell && (event.target === cell.wrapper || cell.outputOnly);
    if (event.key === "Enter" && onCell && (event.shiftKey || !cell.outputOnly)) {
      event.preventDefault();
      event.stopPropagation();
      if (event.shiftKey) cell.runNow(true);
      else cell.edit();
      return;
    }
    if ((event.key === "i" || event.key === "0") && !event.shiftKey) {
      const now = performance.now();
      const twice = lastKey.key === event.key && now - lastKey.at < DOUBLE_KEY_MS;
      lastKey = twice ? { key: null, at: 0 } : { key: event.key, at: now };
      if (!twice) return;
      const file = cell ? cell.file : currentFile();
      if (!file) return;
      event.preventDefault();
      if (event.key === "i") interrupt(file);
      else restart(file);
      return;
    }
    lastKey = { key: null, at: 0 };
  }

  /* ---- start -------------------------------------------------------------------------- */

  function start() {
    for (const root of document.querySelectorAll('.reveal .jp-CodeCell[id^="cell-id="]')) {
      const file = fileOf(root.id);
      if (!file || root.closest("aside.notes")) continue;
      const cell = new Cell(root, file);
      cells.set(cell.id, cell);
      if (!cell.editor) continue; /* remove-input: no code to click */
      cell.editor.addEventListener("click", (event) => {
        if (event.target.closest(".live-controls") || cell.textarea || overview()) return;
        const selection = window.getSelection();
        if (selection && !selection.isCollapsed) return; /* selecting text to copy */
        cell.edit(caretAt(cell, event));
      });
    }
    indicator = el("div", "live-indicator");
    indicator.setAttribute("role", "status");
    indicator.append(el("span", "live-indicator-text"));
    const again = el("button", "live-restart", "restart");
    again.type = "button";
    again.hidden = true;
    indicator.append(again);
    document.body.append(indicator);
    document.addEventListener("keydown", onKey);
    const hook = () => {
      const deck = window.Reveal;
      if (!deck || !deck.on) return;
      deck.on("slidechanged", updateIndicator);
      deck.on("ready", updateIndicator);
    };
    hook();
    window.__deckLive = { cells, fileStates, send, restart, interrupt };
    updateIndicator();
    connect();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
