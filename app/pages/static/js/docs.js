// The API docs: Swagger UI from /static/vendor (no CDN), reading this server's OpenAPI document.
// validatorUrl null: Swagger UI would otherwise send the document to an external validator.
"use strict";
(function () {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
