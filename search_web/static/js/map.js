/* skinmap: the results map. It reads the points from data-* attributes on the result list (no
   inline script), draws the bundled US states outline (offline) or, when the site sets
   SKINMAP_TILE_URL, that tile layer, and links each marker's popup to the profile. */
(function () {
  "use strict";

  var box = document.getElementById("results-map");
  var items = document.querySelectorAll("ol.results li[data-lat][data-lon]");
  if (!box || !items.length || !window.L) {
    return;
  }
  var panel = box.closest(".map-panel");
  if (panel) {
    panel.hidden = false;
  }

  var map = L.map(box, { scrollWheelZoom: false, zoomSnap: 0.5 });
  addViewSwitch(panel, map);
  var tileUrl = box.getAttribute("data-tile-url");
  if (tileUrl) {
    L.tileLayer(tileUrl, { maxZoom: 18 }).addTo(map);
  } else if (window.topojson && window.fetch) {
    fetch(box.getAttribute("data-states-url"))
      .then(function (response) {
        return response.json();
      })
      .then(function (topology) {
        var states = topojson.feature(topology, topology.objects.states);
        L.geoJSON(states, {
          interactive: false,
          style: { color: "#6b7785", weight: 1, fillColor: "#f3f6f8", fillOpacity: 1 },
        })
          .addTo(map)
          .bringToBack();
      })
      .catch(function () {
        box.classList.add("results-map-no-outline");
      });
  }

  var points = [];
  items.forEach(function (item) {
    var lat = parseFloat(item.getAttribute("data-lat"));
    var lon = parseFloat(item.getAttribute("data-lon"));
    if (!isFinite(lat) || !isFinite(lon)) {
      return;
    }
    var name = item.getAttribute("data-name") || "Practitioner";
    var link = document.createElement("a");
    link.href = item.getAttribute("data-href");
    link.textContent = name;
    // Not in the Tab order: every marker repeats a link that is already in the list, where
    // keyboard and screen-reader users reach it directly (and nearby markers may overlap).
    var marker = L.marker([lat, lon], { title: name, alt: name, keyboard: false });
    marker.bindPopup(link);
    marker.addTo(map);
    points.push([lat, lon]);
  });
  if (points.length) {
    // Over the bare states outline, closer than a region shows nothing but fill: stop at a zoom
    // where state borders still give the markers their context.
    map.skinmapFit = function () {
      map.fitBounds(points, { padding: [32, 32], maxZoom: tileUrl ? 13 : 6 });
    };
    map.skinmapFit();
  }

  // "List | Map" on small screens, where the map would otherwise sit below every result. CSS
  // hides the switch on wide screens, where list and map are side by side.
  function addViewSwitch(mapPanel, leafletMap) {
    var layout = mapPanel && mapPanel.closest(".results-layout");
    if (!layout) {
      return;
    }
    var group = document.createElement("div");
    group.className = "view-switch";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Show the results as");
    var buttons = {};
    ["list", "map"].forEach(function (view) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = view === "list" ? "List" : "Map";
      button.setAttribute("data-view", view);
      button.addEventListener("click", function () {
        show(view);
      });
      buttons[view] = button;
      group.appendChild(button);
    });
    function show(view) {
      layout.classList.toggle("view-list", view === "list");
      layout.classList.toggle("view-map", view === "map");
      buttons.list.setAttribute("aria-pressed", String(view === "list"));
      buttons.map.setAttribute("aria-pressed", String(view === "map"));
      if (view === "map") {
        leafletMap.invalidateSize();
        if (leafletMap.skinmapFit) {
          leafletMap.skinmapFit();
        }
      }
    }
    layout.parentNode.insertBefore(group, layout);
    show("list");
  }
})();
