// Starts Swagger UI on /docs (a classic script: swagger-ui-bundle.js defines SwaggerUIBundle).
// It lives here, not inline in the page, so the Content-Security-Policy allows no inline code.
window.SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
