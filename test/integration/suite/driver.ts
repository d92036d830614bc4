/**
 * The suite's end of the browser driver (see ../driverProtocol.ts). Under @vscode/test-electron
 * there is no driver: `available` is false and the tests that need one say so and are skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DRIVER_MARKER, replyDir, type DriverReply, type DriverRequest, type ElementBox, type FrameTarget } from '../driverProtocol';

type Body = DriverRequest extends infer R ? (R extends DriverRequest ? Omit<R, 'id'> : never) : never;

export class Driver {
  private nextId = 1;
  private readonly dir = replyDir(__dirname);
  available = false;

  /** Looks for a driver; one that does not answer within `timeoutMs` is taken as absent. */
  async connect(timeoutMs = 10_000): Promise<boolean> {
    try {
      await this.request({ action: 'ping' }, timeoutMs);
      this.available = true;
    } catch {
      this.available = false;
    }
    return this.available;
  }

  quickPick(text: string): Promise<unknown> {
    return this.request({ action: 'quickPick', text });
  }

  waitFor(frame: FrameTarget, selector: string, timeoutMs = 20_000): Promise<unknown> {
    return this.request({ action: 'waitFor', frame, selector, timeoutMs }, timeoutMs + 10_000);
  }

  click(frame: FrameTarget, selector: string): Promise<unknown> {
    return this.request({ action: 'click', frame, selector });
  }

  async texts(frame: FrameTarget, selector: string): Promise<string[]> {
    return (await this.request({ action: 'texts', frame, selector })) as string[];
  }

  async afterContents(contains: string): Promise<string[]> {
    return (await this.request({ action: 'afterContents', contains })) as string[];
  }

  viewport(width: number, height: number): Promise<unknown> {
    return this.request({ action: 'viewport', width, height });
  }

  press(frame: FrameTarget, selector: string, key: string): Promise<unknown> {
    return this.request({ action: 'press', frame, selector, key });
  }

  async boxes(frame: FrameTarget, selector: string): Promise<ElementBox[]> {
    return (await this.request({ action: 'boxes', frame, selector })) as ElementBox[];
  }

  async attribute(frame: FrameTarget, selector: string, name: string): Promise<string | null> {
    return (await this.request({ action: 'attribute', frame, selector, name })) as string | null;
  }

  screenshot(name: string): Promise<unknown> {
    return this.request({ action: 'screenshot', name });
  }

  private async request(body: Body, timeoutMs = 40_000): Promise<unknown> {
    const id = this.nextId++;
    const file = path.join(this.dir, `${id}.json`);
    fs.mkdirSync(this.dir, { recursive: true });
    fs.rmSync(file, { force: true });
    console.log(DRIVER_MARKER + JSON.stringify({ id, ...body }));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (fs.existsSync(file)) {
        const reply = JSON.parse(fs.readFileSync(file, 'utf8')) as DriverReply;
        fs.rmSync(file, { force: true });
        if (!reply.ok) throw new Error(`driver: ${body.action} failed: ${reply.error}`);
        return reply.value;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`driver: no answer to ${body.action} within ${timeoutMs} ms`);
  }
}
