/* skinmap: the results map. It reads everything from data-* attributes (no inline script): the
   points from the result list, and from the map box the searched place, the radius and the place
   names to label. Offline it draws the bundled US states outline with those labels; when the site
   sets SKINMAP_TILE_URL, real tiles. Nearby markers cluster and markers at one address spiderfy
   (vendored Leaflet.markercluster); every marker and cluster is a button reachable by Tab, opened
   with Enter, and each popup links to the profile. A "List | Map" switch serves small screens. */
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

  var MAX_ZOOM = 18; // street level, with or without tiles
  var map = L.map(box, { scrollWheelZoom: false, zoomSnap: 0.5, maxZoom: MAX_ZOOM });
  addViewSwitch(panel, map);
  map.on("zoomend", function () {
    box.setAttribute("data-zoom", String(map.getZoom()));
  });

  var tileUrl = box.getAttribute("data-tile-url");
  if (tileUrl) {
    L.tileLayer(tileUrl, {
      maxZoom: MAX_ZOOM,
      attribution: "Map tiles: " + new URL(tileUrl.replace(/[{}]/g, ""), location.href).hostname,
    }).addTo(map);
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

  function textElement(tag, className, text) {
    var element = document.createElement(tag);
    element.className = className;
    element.textContent = text;
    return element;
  }

  // Place names (offline only: tiles carry their own), never focusable: they label, not link.
  if (!tileUrl) {
    var labels = [];
    try {
      labels = JSON.parse(box.getAttribute("data-labels") || "[]");
    } catch (error) {
      labels = [];
    }
    labels.forEach(function (label) {
      L.marker([label[1], label[2]], {
        icon: L.divIcon({
          className: "map-label",
          html: textElement("span", "map-label-text", label[0]),
          iconSize: null,
        }),
        interactive: false,
        keyboard: false,
      }).addTo(map);
    });
  }

  var bounds = [];
  var placeLat = parseFloat(box.getAttribute("data-place-lat"));
  var placeLon = parseFloat(box.getAttribute("data-place-lon"));
  if (isFinite(placeLat) && isFinite(placeLon)) {
    var miles = parseFloat(box.getAttribute("data-radius-miles"));
    if (isFinite(miles)) {
      L.circle([placeLat, placeLon], {
        radius: miles * 1609.344,
        interactive: false,
        className: "map-radius",
        color: "#0b5a8a",
        weight: 2,
        dashArray: "6 6",
        fill: false,
      }).addTo(map);
      // A local search shows its whole circle (and the towns inside it); a wide one would only
      // shrink the markers to dots, so it fits the markers instead.
      if (miles <= 50) {
        // By degrees, as the map has no view yet to measure the circle with.
        var dLat = miles / 69.0;
        var dLon = miles / (69.172 * Math.max(Math.cos((placeLat * Math.PI) / 180), 0.01));
        bounds.push([placeLat - dLat, placeLon - dLon], [placeLat + dLat, placeLon + dLon]);
      }
    }
    L.circleMarker([placeLat, placeLon], {
      radius: 7,
      interactive: false,
      className: "map-place",
      color: "#b35c00",
      weight: 3,
      fillColor: "#ffffff",
      fillOpacity: 1,
    })
      .bindTooltip("Searched: " + (box.getAttribute("data-place-label") || ""), {
        permanent: true,
        direction: "top",
        className: "map-place-label",
      })
      .addTo(map);
    bounds.push([placeLat, placeLon]);
  }

  var group = L.markerClusterGroup
    ? L.markerClusterGroup({
        maxClusterRadius: 36,
        // No cluster animations: markers appear where they belong at once (calmer for anyone
        // who prefers reduced motion, and never half-way for a screen reader).
        animate: false,
        showCoverageOnHover: false,
        spiderfyOnMaxZoom: true,
        iconCreateFunction: function (cluster) {
          var count = cluster.getChildCount();
          // The markup MarkerCluster.Default.css styles: a disc with the count in its middle.
          var html = document.createElement("div");
          html.appendChild(textElement("span", "cluster-count", String(count)));
          html.appendChild(
            textElement("span", "visually-hidden", " practitioners here, press to show them")
          );
          return L.divIcon({
            html: html,
            className: "marker-cluster marker-cluster-small practitioner-cluster",
            iconSize: L.point(40, 40),
          });
        },
      })
    : L.layerGroup();
  var icon = new L.Icon.Default({ className: "practitioner-marker" });
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
    // A button in the Tab order (Leaflet: role=button, Enter opens the popup); at one address the
    // cluster spiderfies, so each person keeps a marker of their own.
    var marker = L.marker([lat, lon], { title: name, alt: name, icon: icon, keyboard: true });
    marker.bindPopup(link);
    group.addLayer(marker);
    bounds.push([lat, lon]);
  });
  group.addTo(map);
  if (bounds.length) {
    map.skinmapFit = function () {
      map.fitBounds(bounds, { padding: [32, 32], maxZoom: 14 });
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
    var switcher = document.createElement("div");
    switcher.className = "view-switch";
    switcher.setAttribute("role", "group");
    switcher.setAttribute("aria-label", "Show the results as");
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
      switcher.appendChild(button);
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
    layout.parentNode.insertBefore(switcher, layout);
    show("list");
  }
})();
