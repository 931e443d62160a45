// The mlpay calculator page: reads the form (or the same fields from the URL's query), asks
// the JSON API and shows the answer. Every value from the API or the user is written with
// textContent, never as HTML. `main[data-state]` says where the page is (idle, loading, done,
// error), and `#whatif[data-state]` the same for the what-if: tests wait on them.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const FIELDS = ["role", "country", "years", "education", "skills", "currency"];
  const CHANGES = [
    ["add_skill", "add-skill"],
    ["country_to", "country-to"],
  ];
  let lastProfile = null;

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function words(value) {
    return String(value).replace(/_/g, " ");
  }

  async function call(path, body) {
    const options = body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    };
    let response;
    try {
      response = await fetch(path, options);
    } catch (error) {
      throw new Error("the service did not answer (" + error.message + ")");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    if (!response.ok) {
      const detail = data && typeof data.detail === "string" ? data.detail : response.statusText;
      throw new Error(detail || "HTTP " + response.status);
    }
    return data;
  }

  function profileFromForm() {
    const value = (id) => $(id).value.trim();
    const profile = { role: value("role"), country: value("country") };
    if (value("years") !== "") profile.years_experience = value("years");
    if (value("education") !== "") profile.education = value("education");
    if (value("skills") !== "") profile.skills = value("skills");
    if (value("currency") !== "") profile.currency = value("currency");
    return profile;
  }

  function remember() {
    // The URL holds the question, so an answer can be shared or reloaded.
    const query = new URLSearchParams();
    for (const name of FIELDS) {
      const text = $(name).value.trim();
      if (text !== "") query.set(name, text);
    }
    for (const [name, id] of CHANGES) {
      const text = $(id).value.trim();
      if (text !== "") query.set(name, text);
    }
    history.replaceState(null, "", "?" + query.toString());
  }

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = false;
  }

  function render(answer, profile) {
    const display = answer.display;
    $("headline").textContent = profile.role + " in " + answer.country_name;
    $("median").textContent = display.median;
    $("concept").textContent =
      "median " + answer.pay_concept +
      (answer.pay_year ? " · pay year " + answer.pay_year : "") +
      " · model " + answer.model.name + " " +
      answer.model.version + " · " + answer.currency +
      (answer.rate_date
        ? " (ECB rate " + Number(answer.rate).toPrecision(4) + " per USD, " +
          answer.rate_date + ")"
        : "");
    $("low").textContent = display.low;
    $("high").textContent = display.high;
    $("baseline").textContent = display.baseline_text;

    const factors = $("factors");
    factors.replaceChildren();
    for (const factor of answer.top_factors) {
      const item = element("li");
      item.append(element("span", factor.label, "factor"), " ");
      item.append(element("span", factor.text, factor.percent >= 0 ? "up" : "down"));
      factors.append(item);
    }
    if (answer.top_factors.length === 0) factors.append(element("li", "none worth showing"));

    const warnings = $("warnings");
    warnings.replaceChildren(...answer.warnings.map((text) => element("li", text)));
    $("warnings-box").hidden = answer.warnings.length === 0;

    const rows = $("sources").tBodies[0];
    rows.replaceChildren();
    for (const source of answer.per_source || []) {
      const row = element("tr", null, source.served_model ? "served" : "");
      row.append(element("td", source.label));
      row.append(element("td", (source.pay_concept || "") +
        (source.pay_year ? ", " + source.pay_year : "")));
      row.append(element("td", source.display.median));
      const range = source.display.low === null ? "—"
        : source.display.low + " to " + source.display.high;
      row.append(element("td", range));
      rows.append(row);
    }
    $("sources-basis").textContent = answer.per_source_basis === "model"
      ? "The same person as paid in each source's data, by this model."
      : "Each source's own model, for the same person.";
    $("sources-box").hidden = rows.children.length === 0;
    $("result").hidden = false;
    $("whatif").hidden = false;
  }

  async function estimate() {
    const app = $("app");
    app.dataset.state = "loading";
    $("error").hidden = true;
    $("whatif-results").replaceChildren();
    const profile = profileFromForm();
    try {
      const answer = await call("api/predict", profile);
      lastProfile = profile;
      render(answer, profile);
      app.dataset.state = "done";
      return true;
    } catch (error) {
      $("result").hidden = true;
      $("whatif").hidden = true;
      showError(error.message);
      app.dataset.state = "error";
      return false;
    }
  }

  async function whatIf() {
    const section = $("whatif");
    const results = $("whatif-results");
    section.dataset.state = "loading";
    results.replaceChildren();
    const asked = CHANGES.filter(([, id]) => $(id).value.trim() !== "");
    if (asked.length === 0) {
      results.append(element("li", "Give a skill to add or a country to move to.", "error"));
    }
    for (const [name, id] of asked) {
      const value = $(id).value.trim();
      const item = element("li");
      try {
        const answer = await call("api/whatif", { ...lastProfile, [name]: value });
        item.append(element("span", answer.change.description + ": ", "change"));
        item.append(element("span", answer.before.display.median + " → " +
          answer.after.display.median));
        item.append(element("span", " (" + answer.difference.text + ")",
          answer.difference.median >= 0 ? "up" : "down"));
        if (answer.change.note) item.append(element("span", " — " + answer.change.note, "note"));
      } catch (error) {
        item.append(element("span", error.message, "error"));
      }
      results.append(item);
    }
    section.dataset.state = "done";
  }

  async function setUp() {
    try {
      const info = await call("api/model");
      $("model-line").textContent =
        "Model: " + info.model.name + " " + info.model.version + " (" + info.pay_concept +
        "; uses " + info.factors.map(words).join(", ") + ").";
      const education = $("education");
      for (const level of info.education_levels) {
        const option = element("option", words(level));
        option.value = level;
        education.append(option);
      }
      $("skill-list").replaceChildren(...info.skills.map((skill) => {
        const option = element("option");
        option.value = skill;
        return option;
      }));
    } catch (error) {
      showError(error.message);
    }
    const query = new URLSearchParams(location.search);
    for (const name of FIELDS) if (query.has(name)) $(name).value = query.get(name);
    for (const [name, id] of CHANGES) if (query.has(name)) $(id).value = query.get(name);

    $("profile").addEventListener("submit", async (event) => {
      event.preventDefault();
      remember();
      if (await estimate()) await whatIfIfAsked();
    });
    $("whatif-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      remember();
      await whatIf();
    });
    if (query.get("role") && query.get("country")) {
      if (await estimate()) await whatIfIfAsked();
    }
  }

  async function whatIfIfAsked() {
    if (CHANGES.some(([, id]) => $(id).value.trim() !== "")) await whatIf();
  }

  setUp();
})();
