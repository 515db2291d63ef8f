// OrderOutbox dashboard. Plain script, no build step. Everything that comes from a record is put on the page with
// textContent (never innerHTML), so a payload or an error message can never become markup.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const state = { session: null, cursor: null, next: null, selected: new Set(), timer: null, filter: {} };

  // The filter form as the API's fields: empty inputs set no condition, local times are sent as UTC ISO 8601.
  function readFilter() {
    const filter = {};
    for (const input of $("filter").querySelectorAll("input")) {
      if (!input.value) continue;
      filter[input.name] = input.type === "datetime-local" ? new Date(input.value).toISOString() : input.value;
    }
    return filter;
  }

  function setStatus(text, isError) {
    const el = $("status");
    el.textContent = text;
    el.className = isError ? "status error" : "status";
  }

  async function problemText(response) {
    try {
      const body = await response.json();
      return body.detail || body.title || response.statusText;
    } catch {
      return response.status + " " + response.statusText;
    }
  }

  async function getJson(url) {
    const response = await fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(await problemText(response));
    return response.json();
  }

  async function post(url, body) {
    const headers = { "Accept": "application/json", "Content-Type": "application/json" };
    headers[state.session.antiforgeryHeader] = state.session.antiforgeryToken;
    const response = await fetch(url, { method: "POST", headers, credentials: "same-origin", body: JSON.stringify(body || {}) });
    if (!response.ok) throw new Error(await problemText(response));
    return response.json();
  }

  function formatAge(seconds) {
    if (seconds === null || seconds === undefined) return "none due";
    if (seconds < 60) return Math.round(seconds) + " s";
    if (seconds < 3600) return Math.round(seconds / 60) + " min";
    if (seconds < 86400) return (seconds / 3600).toFixed(1) + " h";
    return (seconds / 86400).toFixed(1) + " d";
  }

  function formatTime(value) {
    return value ? new Date(value).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "–";
  }

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "–" : String(text);
    if (className) td.className = className;
    return td;
  }

  function button(text, className, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (className) b.className = className;
    b.addEventListener("click", onClick);
    return b;
  }

  async function refreshStatistics() {
    try {
      const s = await getJson("api/statistics");
      $("count-pending").textContent = s.pending;
      $("count-failed").textContent = s.failed;
      $("count-due").textContent = s.due;
      $("count-dead-letter").textContent = s.deadLetter;
      $("count-leased").textContent = s.leased;
      $("count-sent").textContent = s.sentEstimate === null ? "n/a" : "≈ " + s.sentEstimate;
      $("oldest-due").textContent = formatAge(s.oldestDueAgeSeconds);
      $("updated").textContent = "updated " + formatTime(s.at);
    } catch (e) {
      setStatus("Could not read the statistics: " + e.message, true);
    }
  }

  async function loadDeadLetters(cursor) {
    const query = new URLSearchParams(Object.assign({ limit: String(state.session.pageSize) }, state.filter));
    if (cursor) query.set("after", cursor);
    const page = await getJson("api/dead-letters?" + query.toString());
    state.cursor = cursor;
    state.next = page.next;
    state.selected.clear();
    $("select-all").checked = false;
    const body = $("dead-letters").tBodies[0];
    body.replaceChildren();
    for (const item of page.items) {
      const tr = document.createElement("tr");
      tr.dataset.id = item.id;
      const check = document.createElement("td");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.setAttribute("aria-label", "Select " + item.id);
      box.addEventListener("change", () => { box.checked ? state.selected.add(item.id) : state.selected.delete(item.id); updateButtons(); });
      check.appendChild(box);
      tr.appendChild(check);
      const idCell = document.createElement("td");
      idCell.className = "id";
      idCell.appendChild(button(item.id, "link", () => showDetail(item.id)));
      tr.appendChild(idCell);
      tr.appendChild(cell(item.messageType));
      tr.appendChild(cell(item.aggregateId));
      tr.appendChild(cell(item.retryCount));
      tr.appendChild(cell(formatTime(item.lastAttemptAt), "time"));
      tr.appendChild(cell(item.lastError, "error"));
      const actions = document.createElement("td");
      actions.appendChild(button("Requeue", "requeue", () => requeueOne(item.id)));
      tr.appendChild(actions);
      body.appendChild(tr);
    }
    $("empty").hidden = page.items.length > 0;
    $("first-page").disabled = !cursor;
    $("next-page").disabled = !page.next;
    updateButtons();
  }

  function updateButtons() {
    $("requeue-selected").disabled = state.selected.size === 0;
    $("requeue-selected").textContent = state.selected.size ? "Requeue selected (" + state.selected.size + ")" : "Requeue selected";
  }

  async function reload() {
    await Promise.all([refreshStatistics(), loadDeadLetters(state.cursor)]);
  }

  async function run(action) {
    try {
      await action();
    } catch (e) {
      setStatus(e.message, true);
    }
  }

  function requeueOne(id) {
    return run(async () => {
      await post("api/dead-letters/" + encodeURIComponent(id) + "/requeue");
      setStatus("Requeued " + id + ".");
      await reload();
    });
  }

  function requeueSelected() {
    return run(async () => {
      const ids = Array.from(state.selected);
      const result = await post("api/dead-letters/requeue-selected", { ids });
      setStatus("Requeued " + result.count + " of " + ids.length + " selected dead letters.");
      await reload();
    });
  }

  // Requeue by filter: the dry-run count first, then the replay of exactly that filter.
  function requeueFilterCount() {
    return run(async () => {
      state.filter = readFilter();
      const result = await getJson("api/dead-letters/count?" + new URLSearchParams(state.filter).toString());
      state.pendingFilter = state.filter;
      $("requeue-filter-text").textContent = result.count + " dead letters match (dry run).";
      $("requeue-filter").disabled = result.count === 0;
      $("requeue-filter-confirm").hidden = false;
    });
  }

  function requeueFilter() {
    return run(async () => {
      const result = await post("api/dead-letters/requeue-matching", state.pendingFilter || {});
      $("requeue-filter-confirm").hidden = true;
      setStatus("Requeued " + result.count + " dead letters.");
      await reload();
    });
  }

  function applyFilter(event) {
    event.preventDefault();
    $("requeue-filter-confirm").hidden = true;
    return run(async () => {
      state.filter = readFilter();
      await loadDeadLetters(null);
    });
  }

  function showDetail(id) {
    return run(async () => {
      const m = await getJson("api/messages/" + encodeURIComponent(id));
      const fields = $("detail-fields");
      fields.replaceChildren();
      const rows = [
        ["ID", m.id], ["Type", m.messageType], ["Aggregate", m.aggregateId], ["Status", m.status], ["Retries", m.retryCount],
        ["Created", formatTime(m.createdAt)], ["Next attempt", formatTime(m.nextAttemptAt)], ["Last attempt", formatTime(m.lastAttemptAt)],
        ["Sent", formatTime(m.sentAt)], ["Requeued", formatTime(m.requeuedAt)], ["Last error", m.lastError], ["Lease", m.leaseOwner ? m.leaseOwner + " until " + formatTime(m.leaseExpiresAt) : null],
      ];
      for (const [label, value] of rows) {
        const dt = document.createElement("dt");
        dt.textContent = label;
        const dd = document.createElement("dd");
        dd.textContent = value === null || value === undefined ? "–" : String(value);
        fields.append(dt, dd);
      }
      const hidden = "Hidden: you are not allowed to see payloads and headers.";
      $("detail-payload").textContent = m.payloadVisible ? m.payload : hidden;
      $("detail-headers").textContent = m.payloadVisible ? (m.headers || "–") : hidden;
      $("detail").hidden = false;
    });
  }

  function purge() {
    return run(async () => {
      const local = $("purge-date").value;
      if (!local) throw new Error("Choose the date before which delivered records are purged.");
      const sentBefore = new Date(local).toISOString();
      const result = await post("api/purge", { sentBefore });
      setStatus("Purged " + result.count + " SENT records delivered before " + formatTime(sentBefore) + ".");
      await refreshStatistics();
    });
  }

  async function start() {
    try {
      state.session = await getJson("api/session");
    } catch (e) {
      setStatus("The dashboard is not available: " + e.message, true);
      return;
    }
    $("requeue-selected").addEventListener("click", requeueSelected);
    $("requeue-filter-count").addEventListener("click", requeueFilterCount);
    $("requeue-filter").addEventListener("click", requeueFilter);
    $("requeue-filter-cancel").addEventListener("click", () => { $("requeue-filter-confirm").hidden = true; });
    $("filter").addEventListener("submit", applyFilter);
    $("filter").addEventListener("reset", () => setTimeout(() => { state.filter = {}; $("requeue-filter-confirm").hidden = true; run(() => loadDeadLetters(null)); }, 0));
    $("first-page").addEventListener("click", () => run(() => loadDeadLetters(null)));
    $("next-page").addEventListener("click", () => run(() => loadDeadLetters(state.next)));
    $("detail-close").addEventListener("click", () => { $("detail").hidden = true; });
    $("purge").addEventListener("click", purge);
    $("select-all").addEventListener("change", (e) => {
      for (const box of $("dead-letters").tBodies[0].querySelectorAll("input[type=checkbox]")) {
        box.checked = e.target.checked;
        const id = box.closest("tr").dataset.id;
        e.target.checked ? state.selected.add(id) : state.selected.delete(id);
      }
      updateButtons();
    });
    await run(reload);
    state.timer = setInterval(refreshStatistics, state.session.refreshSeconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
