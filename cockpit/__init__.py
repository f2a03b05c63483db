"""网格治理数字驾驶舱. The Dash app is built by cockpit.app.create_app(settings); importing this
package (or its queries, scope, figures) does not import Dash."""
