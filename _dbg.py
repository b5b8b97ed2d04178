import sys; sys.path.insert(0, "tools")
import browser
from playwright import sync_api
with browser.server() as srv, sync_api.sync_playwright() as p:
    b = browser.launch(p); page = b.new_page(viewport={"width":1400,"height":1000})
    page.goto(srv.url + "/playground?budget=5"); browser.wait_idle(page)
    page.locator(".st-key-pg_train button:visible").click()
    page.wait_for_timeout(3500)
    page.set_viewport_size({"width": 1400, "height": 2600}); page.wait_for_timeout(800)
    page.screenshot(path="/tmp/shots/pg_during.png")
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stAlert]')].some(e => e.innerText.includes('Trained for'))", timeout=60000)
    browser.wait_idle(page); page.wait_for_timeout(1500)
    page.screenshot(path="/tmp/shots/pg_after.png")
    b.close()
