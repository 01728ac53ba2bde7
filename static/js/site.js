// Every page loads this: the navigation that keeps the player bar alive, and the bar.
import "./page.js";
import "./bar.js";
