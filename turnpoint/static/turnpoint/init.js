// Start the GOV.UK and MoJ Frontend components. A module file, so no inline script is needed
// and the Content-Security-Policy can forbid inline scripts.
import { initAll as initGovuk } from "../govuk/govuk-frontend.min.js";
import { initAll as initMoj } from "../moj/moj-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initGovuk();
initMoj();

// htmx swaps in new HTML (the caseload results); start the components inside it too.
document.body.addEventListener("htmx:afterSwap", (event) => {
  const scope = event.detail.target;
  initGovuk({ scope });
  initMoj({ scope });
});
