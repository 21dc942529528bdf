/* skinmap: "Use my location" for the search form. Progressive enhancement: without this script
   (or without geolocation) the near box works as typed. The browser asks for the location only
   after the patient clicks, and we send the point only to our own /api/places/nearest. */
(function () {
  "use strict";

  // On a results page the form is folded into "Edit search" so a phone shows results first; a
  // wide screen has room for both, so it starts open there.
  var editSearch = document.querySelector("details.edit-search[data-open-wide]");
  if (editSearch && window.matchMedia && window.matchMedia("(min-width: 56rem)").matches) {
    editSearch.open = true;
  }
})();

(function () {
  "use strict";

  var field = document.querySelector(".field-near[data-locate-url]");
  if (!field || !("geolocation" in navigator) || !window.fetch) {
    return;
  }
  var input = field.querySelector("input[name=near]");
  var status = field.querySelector(".locate-status");
  var url = field.getAttribute("data-locate-url");

  var button = document.createElement("button");
  button.type = "button";
  button.className = "locate-button";
  button.textContent = "Use my location";
  field.insertBefore(button, status);

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function done() {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    say("Finding your location…");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var query =
          "?lat=" + encodeURIComponent(position.coords.latitude.toFixed(4)) +
          "&lon=" + encodeURIComponent(position.coords.longitude.toFixed(4));
        fetch(url + query, { headers: { Accept: "application/json" } })
          .then(function (response) {
            return response.json().then(function (body) {
              return { ok: response.ok, body: body };
            });
          })
          .then(function (answer) {
            if (answer.ok && answer.body.zip) {
              input.value = answer.body.zip;
              say("Near " + answer.body.label + ". Press Search to see who is nearby.");
              input.focus();
            } else {
              say((answer.body && answer.body.error) || "We could not find a US ZIP code near you. Type a ZIP or a city instead.");
            }
          })
          .catch(function () {
            say("We could not look up your location. Type a ZIP or a city instead.");
          })
          .then(done);
      },
      function (error) {
        say(
          error.code === error.PERMISSION_DENIED
            ? "Location is turned off for this site. Type a ZIP or a city instead."
            : "We could not get your location. Type a ZIP or a city instead."
        );
        done();
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
    );
  });
})();
